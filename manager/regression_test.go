package manager

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redmux/redmux/resp"
)

// shutdownGrace is how long after its deadline a shutdown may take.
const shutdownGrace = 2 * time.Second

// waitWithin waits for ch to close, failing after d.
func waitWithin(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("still waiting for %s after %v", what, d)
	}
}

// Shutdown must give up on replies at its deadline even when the writer is
// waiting for room in a full in-flight FIFO (MaxInFlight reached) and the
// server never answers.
func TestRegressionShutdownHangsWhenInFlightIsFull(t *testing.T) {
	fs := newFakeServer(t, nil)
	m := newManager(t, fs, Config{MaxInFlight: 1})
	sc := fs.conn(t)
	ctx := testContext(t)

	a := goDo(ctx, m, "GET", "a")
	sc.expect(t, "GET", "a") // never answered
	b := goDo(ctx, m, "GET", "b")
	eventually(t, "the writer to wait for room in the FIFO", func() bool { return m.Load() == 2 && m.Stats().Queued == 0 })

	const wait = 100 * time.Millisecond
	m.Shutdown(time.Now().Add(wait))
	waitWithin(t, m.Done(), wait+shutdownGrace, "Wait to return after the shutdown deadline")
	wantErr(t, await(t, a), ErrClosed)
	wantErr(t, await(t, b), ErrClosed)
}

// Shutdown must give up at its deadline even when the writer is blocked in
// a write the server does not read.
func TestRegressionShutdownHangsOnStalledWrite(t *testing.T) {
	fs := newFakeServer(t, nil)
	m := newManager(t, fs, Config{})
	sc := fs.conn(t)
	ctx := testContext(t)

	big := strings.Repeat("x", 1<<20)
	started := fs.bigWriteStarted(len(big))
	sc.pauseReads() // the server never reads again
	set := goDo(ctx, m, "SET", "k", big)
	waitFor(t, started, "the writer to block in the write")

	const wait = 100 * time.Millisecond
	m.Shutdown(time.Now().Add(wait))
	waitWithin(t, m.Done(), wait+shutdownGrace, "Wait to return after the shutdown deadline")
	wantErr(t, await(t, set), ErrClosed)
}

// A pipeline whose first replies have arrived is still waiting for the
// rest: shutdown must not count the connection as drained and close it
// under the pipeline, long before the deadline.
func TestRegressionShutdownCutsPipelineShort(t *testing.T) {
	fs := newFakeServer(t, nil)
	m := newManager(t, fs, Config{})
	sc := fs.conn(t)

	multi := goDoMulti(testContext(t), m, []string{"ECHO", "x"}, []string{"ECHO", "y"})
	sc.expect(t, "ECHO", "x")
	sc.expect(t, "ECHO", "y")
	sc.reply(t, bulk("x"))
	// The reader has popped the pipeline and waits for its second reply.
	eventually(t, "the reader to take the pipeline", func() bool { return m.Stats().InFlight == 0 })

	m.Shutdown(time.Now().Add(waitLimit))
	// With the bug the connection closes at once; give it the chance to.
	select {
	case <-sc.done:
	case <-time.After(100 * time.Millisecond):
	}
	_ = sc.send(bulk("y")) // well before the deadline
	r := await(t, multi)
	if r.err != nil || len(r.vs) != 2 || str(r.vs[1]) != "y" {
		t.Fatalf("pipeline got %d replies, %v; want [x y] (the server answered before the deadline)", len(r.vs), r.err)
	}
	waitFor(t, m.Done(), "Wait to return")
}

// A reconnect in progress when Shutdown is called must not outlive the
// shutdown deadline: the handshake of the new connection has to stop when
// the manager's life ends, not only at DialTimeout.
func TestRegressionShutdownWaitsOutReconnectHandshake(t *testing.T) {
	handshakes := make(chan *serverConn, 2)
	var n atomic.Int32
	fs := newFakeServer(t, func(sc *serverConn, cmd []string) {
		if n.Add(1) == 1 { // only the first connection's HELLO is answered
			_ = sc.send(answer(cmd))
		}
		handshakes <- sc
	})
	m := newManager(t, fs, Config{
		DialTimeout: 5 * time.Second,
		Handshake:   handshakeCommands(resp.AppendCommandStrings(nil, "HELLO", "3")),
	})
	first := <-handshakes
	first.close()                                       // the connection drops
	waitFor(t, handshakes, "the reconnect's handshake") // never answered

	m.Shutdown(time.Now())
	waitWithin(t, m.Done(), shutdownGrace, "Wait to return after Shutdown during a reconnect handshake")
}
