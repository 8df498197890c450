package manager

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Redialing on request: Reconnect and Config.RedialOn leave a live
// connection through the ordinary failure path, and a reconnect whose
// server is no longer the right one is made again at once.

var errMoved = errors.New("the master moved")

// TestReconnectFailsInFlightAsSentAndRedials: Reconnect ends a healthy
// connection as a failure would: the requests in flight fail with a
// *ConnError that wraps the cause and says they were sent, and the manager
// redials at once, running the handshake again.
func TestReconnectFailsInFlightAsSentAndRedials(t *testing.T) {
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{})
	sc := srv.Accept(t)
	ctx := testContext(t)

	set := goDo(ctx, m, "SET", "k", "v")
	sc.Expect(t, "SET", "k", "v")
	get := goDo(ctx, m, "GET", "k")
	sc.Expect(t, "GET", "k")
	m.Reconnect(errMoved)

	for _, p := range []struct {
		ch  <-chan result
		cmd string
	}{{set, "SET"}, {get, "GET"}} {
		ce := wantConnError(t, await(t, p.ch), "read", p.cmd)
		if !ce.Sent || !errors.Is(ce, errMoved) {
			t.Errorf("%s: %v: want Sent and the cause errMoved", p.cmd, ce)
		}
	}
	sc2 := srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	ping := goDo(ctx, m, "PING")
	sc2.Expect(t, "PING").Reply(resp.SimpleString("PONG"))
	wantString(t, await(t, ping), "PONG")
}

// TestReconnectCutsBackoffShort: a manager waiting out a long backoff
// between refused dials dials again as soon as Reconnect is called.
func TestReconnectCutsBackoffShort(t *testing.T) {
	m, srv := managerInLongBackoff(t)
	m.Reconnect(errMoved)
	testwait.Eventually(t, "a redial well before the hour of backoff", func() bool {
		return m.Connected() && srv.Dials() == 3
	})
}

// managerInLongBackoff returns a manager whose connection was lost and
// whose first redial was refused: it now waits out an hour of backoff.
func managerInLongBackoff(t *testing.T) (*Manager, *fakeredis.Server) {
	t.Helper()
	srv := newEchoServer(t)
	srv.SetDialHook(func(_ context.Context, n int) error {
		if n == 2 { // the first redial: the backoff starts after it
			return errRefused
		}
		return nil
	})
	m := newFaultManager(t, srv, Config{BackoffMin: time.Hour, BackoffMax: time.Hour})
	srv.Accept(t).Close()
	testwait.Eventually(t, "the refused redial", func() bool { return srv.Dials() == 2 })
	return m, srv
}

// TestReconnectDuringDialDialsAgain: a dial under way when Reconnect is
// called may have reached the server being left: its connection is closed
// once made, unused, and the manager dials again.
func TestReconnectDuringDialDialsAgain(t *testing.T) {
	srv := newEchoServer(t)
	inDial, release := make(chan struct{}), make(chan struct{})
	srv.SetDialHook(func(ctx context.Context, n int) error {
		if n == 2 {
			close(inDial)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil
	})
	m := newFaultManager(t, srv, Config{})
	srv.Accept(t).Close()
	testwait.WaitFor(t, inDial, "the redial to start")
	m.Reconnect(errMoved)
	close(release)

	stale := srv.Accept(t)
	testwait.WaitFor(t, stale.Done(), "the connection made during Reconnect to be closed")
	srv.Accept(t)
	testwait.Eventually(t, "the third dial to connect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	if got := srv.Dials(); got != 3 {
		t.Errorf("Dials = %d, want 3", got)
	}
	if names := commandNames(stale.Received()); len(names) != 0 {
		t.Errorf("the stale connection received %v, want nothing", names)
	}
}

// TestReconnectAfterShutdownDoesNothing: Reconnect on a manager that is
// shutting down or shut down neither panics nor dials.
func TestReconnectAfterShutdownDoesNothing(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	m.Shutdown(time.Now())
	m.Reconnect(errMoved)
	testwait.WaitFor(t, m.Done(), "the shutdown")
	m.Reconnect(errMoved)
	if got := srv.Dials(); got != 1 {
		t.Errorf("Dials = %d, want 1", got)
	}
}

// TestRedialOnEndsConnectionAfterTheReply: an error reply RedialOn objects
// to reaches its caller as a reply, by which time the connection has ended
// with the hook's cause (the request behind it fails as sent); the manager
// redials.
func TestRedialOnEndsConnectionAfterTheReply(t *testing.T) {
	srv := newServer(t)
	var asked []string
	m := newFaultManager(t, srv, Config{RedialOn: func(v resp.Value) error {
		asked = append(asked, v.String()) // the reader goroutine only
		if strings.HasPrefix(v.Err().Error(), "READONLY") {
			return errMoved
		}
		return nil
	}})
	sc := srv.Accept(t)
	ctx := testContext(t)

	other := goDo(ctx, m, "INCR", "k")
	sc.Expect(t, "INCR", "k").Reply(resp.SimpleError("WRONGTYPE not a number"))
	if r := await(t, other); r.err != nil || r.v.Err() == nil {
		t.Fatalf("INCR: %v, %v; want the WRONGTYPE reply", r.v, r.err)
	}
	first := goDo(ctx, m, "SET", "a", "1")
	sc.Expect(t, "SET", "a", "1")
	second := goDo(ctx, m, "SET", "b", "2")
	sc.Expect(t, "SET", "b", "2")
	sc.Reply(t, resp.SimpleError("READONLY You can't write against a read only replica."))

	r := await(t, first)
	if r.err != nil || r.v.Err() == nil || !strings.HasPrefix(r.v.Err().Error(), "READONLY") {
		t.Fatalf("first SET: %v, %v; want the READONLY reply", r.v, r.err)
	}
	// The refused connection is gone by now: the manager is disconnected,
	// or connected again on a new connection (the first redial is
	// immediate). Connected is read first: a new session counts its dial
	// before it becomes current.
	if connected := m.Connected(); connected && srv.Dials() < 2 {
		t.Error("Connected() on the refused connection when its caller got the reply: a resend could go to it")
	}
	ce := wantConnError(t, await(t, second), "read", "SET")
	if !ce.Sent || !errors.Is(ce, errMoved) {
		t.Errorf("second SET: %v, want Sent and the cause errMoved", ce)
	}
	testwait.WaitFor(t, sc.Done(), "the connection to be closed")
	srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	if len(asked) != 2 {
		t.Errorf("RedialOn saw %v, want the two error replies only", asked)
	}
}

// TestAddrFromConnNamesTheServerReached: with AddrFromConn, the errors of
// a dialed connection name its remote address, not Config.Addr, which
// still names a failed dial.
func TestAddrFromConnNamesTheServerReached(t *testing.T) {
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{AddrFromConn: true})
	sc := srv.Accept(t)
	ctx := testContext(t)
	get := goDo(ctx, m, "GET", "k")
	sc.Expect(t, "GET", "k").Close()
	var ce *ConnError
	r := await(t, get)
	if !errors.As(r.err, &ce) || ce.Addr != "pipe" {
		t.Fatalf("GET: %v, want a *ConnError naming the pipe's remote address %q", r.err, "pipe")
	}
}

// TestRegressionReconnectKilledTheSessionItsOwnWakeUpMade: Reconnect woke
// the backoff wait before it killed the current session; a redial fast
// enough to finish in between made its new session current, which the
// kill then ended, and the manager waited out a full backoff (an hour
// here) instead of staying connected. Each round has a window of a few
// microseconds, so the test runs many (about 6% of single rounds failed
// before the fix).
func TestRegressionReconnectKilledTheSessionItsOwnWakeUpMade(t *testing.T) {
	for round := range 150 {
		m, srv := managerInLongBackoff(t)
		m.Reconnect(errMoved)
		if !testwait.Until(2*time.Second, func() bool { return m.Connected() && srv.Dials() == 3 }) {
			t.Fatalf("round %d: %d dials, connected %v: the session the reconnect made was ended", round, srv.Dials(), m.Connected())
		}
		m.Shutdown(time.Now())
		<-m.Done()
	}
}
