package manager

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Shutdown under faults: its deadline holds whatever the writer, the FIFO
// or a reconnect is doing, and it never cuts short what the server
// answers in time. The coordinated shutdown itself is invariant 13
// (invariants_test.go).

// shutdownGrace is how long after its deadline a shutdown may take.
const shutdownGrace = 2 * time.Second

// TestRegressionShutdownAtDeadlineReconnects: Shutdown arms its deadline
// timer before it closes m.shutdown. With a deadline already reached (a
// tiny ShutdownTimeout, or Shutdown(time.Now()) as pool.New's failure path
// and the tests use), forceClose can kill the session first; the writer
// then sees a dead session while shutdown is not yet visible, and
// reconnects: it stores ErrClosed in lastErr, which panics ("store of
// inconsistently typed value into Value") when an earlier reconnect stored
// a *ConnError there, and otherwise may dial a new connection after
// Shutdown. The run's deferred m.forceTimer.Stop() then races with the
// assignment in Shutdown (nil dereference on the panic path).
func TestRegressionShutdownAtDeadlineReconnects(t *testing.T) {
	for i := range 300 {
		srv := newEchoServer(t)
		var shutdown atomic.Bool
		var lateDials atomic.Int32
		srv.SetDialHook(func(ctx context.Context, n int) error {
			if shutdown.Load() {
				lateDials.Add(1)
			}
			return nil
		})
		m, err := New(testContext(t), testConfig(Config{Addr: testAddr, Dial: srv.Dial}))
		if err != nil {
			t.Fatal(err)
		}
		// One reconnect, so that lastErr holds a *ConnError.
		srv.Accept(t).Close()
		srv.Accept(t)
		testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })

		shutdown.Store(true)
		m.Shutdown(time.Now())
		testwait.WaitWithin(t, shutdownGrace, m.Done(), "the manager to stop")
		if n := lateDials.Load(); n > 0 {
			t.Fatalf("iteration %d: the manager dialed %d time(s) after Shutdown", i, n)
		}
		if st := m.Stats(); st.Reconnects != 1 {
			t.Fatalf("iteration %d: %d reconnects, want 1: it reconnected during shutdown", i, st.Reconnects)
		}
	}
}

// Shutdown must give up on replies at its deadline even when the writer is
// waiting for room in a full in-flight FIFO (MaxInFlight reached) and the
// server never answers.
func TestRegressionShutdownHangsWhenInFlightIsFull(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{MaxInFlight: 1})
	sc := srv.Accept(t)
	ctx := testContext(t)

	a := goDo(ctx, m, "GET", "a")
	sc.Expect(t, "GET", "a") // never answered
	b := goDo(ctx, m, "GET", "b")
	testwait.Eventually(t, "the writer to wait for room in the FIFO", func() bool { return m.Load() == 2 && m.Stats().Queued == 0 })

	const wait = 100 * time.Millisecond
	m.Shutdown(time.Now().Add(wait))
	testwait.WaitWithin(t, wait+shutdownGrace, m.Done(), "Wait to return after the shutdown deadline")
	wantErr(t, await(t, a), ErrClosed)
	wantErr(t, await(t, b), ErrClosed)
}

// Shutdown must give up at its deadline even when the writer is blocked in
// a write the server does not read.
func TestRegressionShutdownHangsOnStalledWrite(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{})
	sc := srv.Accept(t)
	ctx := testContext(t)

	big := strings.Repeat("x", 1<<20)
	started := srv.ClientWriteStarted(len(big))
	sc.PauseReads() // the server never reads again
	set := goDo(ctx, m, "SET", "k", big)
	testwait.WaitFor(t, started, "the writer to block in the write")

	const wait = 100 * time.Millisecond
	m.Shutdown(time.Now().Add(wait))
	testwait.WaitWithin(t, wait+shutdownGrace, m.Done(), "Wait to return after the shutdown deadline")
	wantErr(t, await(t, set), ErrClosed)
}

// A pipeline whose first replies have arrived is still waiting for the
// rest: shutdown must not count the connection as drained and close it
// under the pipeline, long before the deadline.
func TestRegressionShutdownCutsPipelineShort(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{})
	sc := srv.Accept(t)

	multi := goDoMulti(testContext(t), m, []string{"ECHO", "x"}, []string{"ECHO", "y"})
	sc.Expect(t, "ECHO", "x")
	sc.Expect(t, "ECHO", "y")
	sc.Reply(t, bulk("x"))
	// The reader has popped the pipeline and waits for its second reply.
	testwait.Eventually(t, "the reader to take the pipeline", func() bool { return m.Stats().InFlight == 0 })

	m.Shutdown(time.Now().Add(waitLimit))
	// With the bug the connection closes at once; give it the chance to.
	select {
	case <-sc.Done():
	case <-time.After(100 * time.Millisecond):
	}
	_ = sc.Send(bulk("y")) // well before the deadline
	r := await(t, multi)
	if r.err != nil || len(r.vs) != 2 || str(r.vs[1]) != "y" {
		t.Fatalf("pipeline got %d replies, %v; want [x y] (the server answered before the deadline)", len(r.vs), r.err)
	}
	testwait.WaitFor(t, m.Done(), "Wait to return")
}

// A reconnect in progress when Shutdown is called must not outlive the
// shutdown deadline: the handshake of the new connection has to stop when
// the manager's life ends, not only at DialTimeout.
func TestRegressionShutdownWaitsOutReconnectHandshake(t *testing.T) {
	handshakes := make(chan *fakeredis.Conn, 2)
	var n atomic.Int32
	srv := newServer(t, fakeredis.WithHandler(func(sc *fakeredis.Conn, cmd []string) {
		if n.Add(1) == 1 { // only the first connection's HELLO is answered
			_ = sc.Send(fakeredis.Answer(cmd))
		}
		handshakes <- sc
	}))
	m := newManager(t, srv, Config{
		DialTimeout: 5 * time.Second,
		Handshake:   handshakeCommands(resp.AppendCommandStrings(nil, "HELLO", "3")),
	})
	first := <-handshakes
	first.Close()                                                // the connection drops
	testwait.WaitFor(t, handshakes, "the reconnect's handshake") // never answered

	m.Shutdown(time.Now())
	testwait.WaitWithin(t, shutdownGrace, m.Done(), "Wait to return after Shutdown during a reconnect handshake")
}

// TestRefusedOnlyWhenTheClosingManagerNeverTookTheRequest: a request that
// arrives after Shutdown began fails with ErrClosed itself and Refused
// (never sent); one taken before and failed at the shutdown deadline,
// unanswered, fails with ErrClosed but is not Refused: it was sent.
func TestRefusedOnlyWhenTheClosingManagerNeverTookTheRequest(t *testing.T) {
	srv := newServer(t, fakeredis.WithHandler(func(*fakeredis.Conn, []string) {})) // never answers
	m := newManager(t, srv, Config{})
	taken := newCmd("GET", "k")
	kept := make(chan bool, 1)
	go func() { kept <- m.Send(testContext(t), taken) }()
	testwait.Eventually(t, "the request to be written", func() bool { return m.Stats().Written == 1 })
	m.Shutdown(time.Now().Add(10 * time.Millisecond))

	late := newCmd("GET", "k")
	m.Send(testContext(t), late)
	_, err := late.Result()
	if err != ErrClosed || !late.Refused() {
		t.Fatalf("request after Shutdown: %v, Refused %v; want ErrClosed itself, Refused", err, late.Refused())
	}
	late.Release()

	<-kept
	_, err = taken.Result()
	if !errors.Is(err, ErrClosed) || taken.Refused() {
		t.Fatalf("request taken before Shutdown: %v, Refused %v; want ErrClosed, not Refused", err, taken.Refused())
	}
	taken.Release()
}
