package manager

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// TestRegressionEmptyRequestShiftsReplies: an empty request (no bytes) got a
// FIFO entry but no reply, so it took the next command's reply. It is now
// refused before it is queued.
func TestRegressionEmptyRequestShiftsReplies(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	ctx := testContext(t)
	if _, err := m.Do(ctx, NewRequest()); err == nil {
		t.Fatal("an empty request was accepted")
	}
	wantString(t, await(t, goDo(ctx, m, "ECHO", "mine")), "mine")
}

// TestRegressionDoMultiOfOneReturnsNothing: a pipeline of one command was
// answered into the single-reply slot and DoMulti returned no values.
func TestRegressionDoMultiOfOneReturnsNothing(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	r := await(t, goDoMulti(testContext(t), m, []string{"ECHO", "only"}))
	if r.err != nil || len(r.vs) != 1 || str(r.vs[0]) != "only" {
		t.Fatalf("DoMulti of one: %d values, %v; want [only]", len(r.vs), r.err)
	}
	req := newPipeline([]string{"ECHO", "a"}, []string{"ECHO", "b"})
	if _, err := m.Do(testContext(t), req); err == nil {
		t.Fatal("Do accepted a request expecting 2 replies")
	}
}

// TestRegressionReconnectStormOnAcceptAndDrop: a server that accepts and
// at once sends an error and closes (Redis at maxclients) was redialed
// without any backoff, thousands of times a second.
func TestRegressionReconnectStormOnAcceptAndDrop(t *testing.T) {
	srv := fakeredis.Start(t, fakeredis.WithScript(func(c *fakeredis.Conn) {
		_ = c.SendRaw("-ERR max number of clients reached\r\n")
		// returning closes the connection
	}))
	m, err := New(testContext(t), testConfig(Config{Addr: srv.Addr(), BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { m.Shutdown(time.Now()); testwait.WaitFor(t, m.Done(), "shutdown") }()
	const window = 500 * time.Millisecond
	time.Sleep(window) // not synchronization: the window in which reconnects are counted
	// With backoff doubling from 10ms to 50ms, half a second allows about
	// a dozen attempts; without it there were thousands.
	if n := len(srv.Conns()); n > 40 {
		t.Fatalf("%d connections in %v: reconnects are not backed off", n, window)
	}
}

// TestRegressionLateDeadlineLeftOnPooledConn: when a dedicated call's
// context ended just as its I/O finished, the context's callback could set
// a past deadline after the call had cleared it, and the Conn went back to
// the pool looking healthy. Now the callback and the clearing are
// serialized: after stop, no deadline is left and the Conn reads fine.
func TestRegressionLateDeadlineLeftOnPooledConn(t *testing.T) {
	for range 200 {
		client, server := net.Pipe()
		c := &Conn{addr: "pipe", nc: client, rd: resp.NewReader(client)}
		ctx, cancel := context.WithCancel(context.Background())
		w := c.watch(ctx)
		cancel() // the callback may run before, during or after stop
		w.stop()
		if !c.Broken() {
			// Not broken: the connection must be usable, no deadline left.
			go func() { _, _ = server.Write([]byte("+OK\r\n")) }()
			if _, err := c.Receive(context.Background()); err != nil {
				t.Fatalf("a Conn not marked broken failed its next read: %v", err)
			}
		}
		_ = client.Close()
		_ = server.Close()
	}
}
