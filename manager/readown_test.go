package manager

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Tests of the reader role's hand-over (readrole.go, readown.go): each
// forces one interleaving of a caller reading its own reply with what may
// happen meanwhile. testConfig turns CallerReads on for every manager test;
// these also keep the reader goroutine from taking the role back while the
// connection is idle (readerIdle), so that every call may read its own.

// waitIdle waits until the reader goroutine has let go of the role of the
// manager's current session: the next caller alone reads its own reply.
func waitIdle(t *testing.T, m *Manager) {
	t.Helper()
	testwait.Eventually(t, "the reader goroutine to let go of the role", func() bool {
		s := m.current.Load()
		return s != nil && readRole(s.role.Load()) == roleUnowned
	})
}

// waitReadingOwnReply waits until a caller is inside readOwn: the state
// has no event to wait on.
func waitReadingOwnReply(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	testwait.Eventually(t, "a caller to read its own reply", func() bool {
		n := runtime.Stack(buf, true)
		return strings.Contains(string(buf[:n]), "manager.(*Manager).readOwn")
	})
}

func TestCallerAloneReadsItsOwnReply(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx := testContext(t)
	for _, key := range []string{"a", "b", "c"} {
		waitIdle(t, m)
		got := goDo(ctx, m, "GET", key)
		sc.Expect(t, "GET", key)
		waitReadingOwnReply(t)
		sc.Reply(t, bulk("value-"+key))
		wantString(t, await(t, got), "value-"+key)
	}
}

func TestSecondCallerDuringOwnReadIsAnsweredInOrder(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx := testContext(t)
	waitIdle(t, m)
	first := goDo(ctx, m, "GET", "a")
	sc.Expect(t, "GET", "a")
	waitReadingOwnReply(t)
	second := goDo(ctx, m, "GET", "b") // arrives while the first reads
	sc.Expect(t, "GET", "b")
	third := goDo(ctx, m, "GET", "c")
	sc.Expect(t, "GET", "c")
	sc.Reply(t, bulk("A"))
	wantString(t, await(t, first), "A")
	notDone(t, second, "the second GET")
	sc.Reply(t, bulk("B")) // read by the reader goroutine, given the role back
	sc.Reply(t, bulk("C"))
	wantString(t, await(t, second), "B")
	wantString(t, await(t, third), "C")

	waitIdle(t, m) // alone again: the role comes back to callers
	again := goDo(ctx, m, "GET", "d")
	sc.Expect(t, "GET", "d")
	waitReadingOwnReply(t)
	sc.Reply(t, bulk("D"))
	wantString(t, await(t, again), "D")
}

func TestCancelledDuringOwnReadNeverDesyncs(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx, cancel := context.WithCancel(testContext(t))
	waitIdle(t, m)
	gone := goDo(ctx, m, "GET", "slow")
	sc.Expect(t, "GET", "slow")
	waitReadingOwnReply(t)
	cancel()
	wantErr(t, await(t, gone), context.Canceled) // at once, before its reply
	sc.Reply(t, bulk("late"))                    // read and dropped by the reader goroutine

	next := goDo(testContext(t), m, "GET", "next")
	sc.Expect(t, "GET", "next")
	sc.Reply(t, bulk("mine"))
	wantString(t, await(t, next), "mine")
	if st := m.Stats(); !st.Connected {
		t.Fatal("the cancellation broke the connection")
	}
}

func TestPushDuringOwnReadGoesToOnPush(t *testing.T) {
	srv := newServer(t)
	pushed := make(chan resp.Value, 1)
	m := newManager(t, srv, Config{readerIdle: time.Minute, OnPush: func(v resp.Value) { pushed <- v }})
	sc := srv.Accept(t)
	ctx := testContext(t)
	waitIdle(t, m)
	got := goDo(ctx, m, "GET", "k")
	sc.Expect(t, "GET", "k")
	waitReadingOwnReply(t)
	sc.Reply(t, resp.PushOf(bulk("invalidate"), resp.ArrayOf(bulk("k"))))
	sc.Reply(t, bulk("v"))
	wantString(t, await(t, got), "v")
	if v := testwait.WaitFor(t, pushed, "the push to reach OnPush"); v.Type() != resp.TypePush {
		t.Fatalf("OnPush got %v", v)
	}
}

func TestConnectionKilledDuringOwnRead(t *testing.T) {
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx := testContext(t)
	waitIdle(t, m)
	got := goDo(ctx, m, "SET", "k", "v")
	sc.Expect(t, "SET", "k", "v")
	waitReadingOwnReply(t)
	sc.Close()
	ce := wantConnError(t, await(t, got), "read", "SET")
	if !ce.Sent {
		t.Errorf("%v: want Sent, the SET was written", ce)
	}
	again := srv.Accept(t) // the manager redials
	testwait.Eventually(t, "the manager to be connected again", m.Connected)
	next := goDo(ctx, m, "GET", "k")
	again.Expect(t, "GET", "k")
	again.Reply(t, bulk("v2"))
	wantString(t, await(t, next), "v2")
}

func TestStallDuringOwnReadIsDetected(t *testing.T) {
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{readerIdle: time.Minute, StallTimeout: 100 * time.Millisecond, PingTimeout: 50 * time.Millisecond})
	sc := srv.Accept(t)
	waitIdle(t, m)
	got := goDo(testContext(t), m, "GET", "k")
	sc.Expect(t, "GET", "k")
	waitReadingOwnReply(t)
	go sc.Drain() // never answers: not the GET, not the PING
	var ce *ConnError
	r := await(t, got)
	if !errors.As(r.err, &ce) || !errors.Is(r.err, ErrStalled) {
		t.Fatalf("got %v, want a *ConnError caused by ErrStalled", r.err)
	}
}

// Regression tests for defects a review found in the first version of
// reading one's own reply.

// A callback that panicked on a caller reading its own reply (recovered by
// the caller's code, as net/http does) left the role with a caller that was
// gone: nobody read again, and Shutdown hung.
func TestRegressionPanickingCallbackDuringOwnReadWedgedTheManager(t *testing.T) {
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{readerIdle: time.Minute, OnPush: func(resp.Value) { panic("a bug in OnPush") }})
	sc := srv.Accept(t)
	waitIdle(t, m)
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		_, _ = m.do(testContext(t), newCmd("GET", "k"))
	}()
	sc.Expect(t, "GET", "k")
	waitReadingOwnReply(t)
	sc.Reply(t, resp.PushOf(bulk("invalidate"), resp.ArrayOf(bulk("k"))))
	if p := testwait.WaitFor(t, done, "the panic to reach the caller"); p == nil {
		t.Fatal("OnPush's panic did not reach the caller")
	}
	again := srv.Accept(t) // the connection whose reader was lost is replaced
	testwait.Eventually(t, "the manager to be connected again", m.Connected)
	next := goDo(testContext(t), m, "GET", "j")
	again.Expect(t, "GET", "j")
	again.Reply(t, bulk("J"))
	wantString(t, await(t, next), "J")
}

// A caller reading its own reply ignored its context once the first byte
// had arrived: a reply that stalled, or trickled in, held it past its
// deadline.
func TestRegressionOwnReadIgnoredTheContextOnceTheReplyBegan(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall time.Duration
	}{{"stall detection off", -1}, {"reply trickling in", 200 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			m := newFaultManager(t, srv, Config{readerIdle: time.Minute, StallTimeout: tc.stall, PingTimeout: 100 * time.Millisecond})
			sc := srv.Accept(t)
			waitIdle(t, m)
			ctx, cancel := context.WithTimeout(testContext(t), 100*time.Millisecond)
			defer cancel()
			got := goDo(ctx, m, "GET", "k")
			sc.Expect(t, "GET", "k")
			waitReadingOwnReply(t)
			stop := make(chan struct{})
			defer close(stop)
			go func() { // the reply begins, then dribbles a byte at a time
				_ = sc.SendRaw("$100\r\nabc")
				for range 100 {
					select {
					case <-stop:
						return
					case <-time.After(30 * time.Millisecond):
					}
					_ = sc.SendRaw("x")
				}
			}()
			start := time.Now()
			wantErr(t, await(t, got), context.DeadlineExceeded)
			if took := time.Since(start); took > time.Second {
				t.Fatalf("a 100ms context returned after %v", took)
			}
		})
	}
}

// noDeadlineConn is a connection that takes no read deadline, as some
// tunnels' connections are.
type noDeadlineConn struct{ net.Conn }

func (noDeadlineConn) SetReadDeadline(time.Time) error { return errors.New("deadlines not supported") }

// On a connection without read deadlines, a caller reading its own reply
// could not be interrupted: its context was ignored until the reply came.
// Such connections now leave reading to the reader goroutine.
func TestRegressionOwnReadIgnoredTheContextWithoutReadDeadlines(t *testing.T) {
	srv := newServer(t)
	cfg := Config{readerIdle: time.Minute, StallTimeout: -1, Addr: testAddr,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := srv.Dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return noDeadlineConn{c}, nil
		}}
	nd, err := New(testContext(t), testConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nd.Shutdown(time.Now()); testwait.WaitFor(t, nd.Done(), "the manager to stop") })
	sc := srv.Accept(t)
	ctx, cancel := context.WithTimeout(testContext(t), 100*time.Millisecond)
	defer cancel()
	got := goDo(ctx, nd, "GET", "k")
	sc.Expect(t, "GET", "k")
	wantErr(t, await(t, got), context.DeadlineExceeded) // no reply ever comes
}

// TestRegressionReaderKeptTheRoleWithOneCallerOnItsWayIn: the reader
// goroutine, having answered the last entry, let go of the role only with
// no caller at all in the manager. A caller quick to come back (load 1, on
// its way in) found the role still held, pushed through the reader, and
// the reader kept the role for its reply too: a convoy in which a lone
// caller never read its own reply again once one request had gone through
// the writer goroutine (4 KiB SETs did: 1 goroutine with 4 KiB values fell
// to 0.69× rueidis). With one caller on its way in, the reader now lets go.
func TestRegressionReaderKeptTheRoleWithOneCallerOnItsWayIn(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx := testContext(t)
	waitIdle(t, m)
	big := strings.Repeat("v", maxDirectBytes+1) // too big to write directly: the writer goroutine sends it
	set := goDo(ctx, m, "SET", "k", big)
	sc.Expect(t, "SET", "k", big)
	m.load.Add(1) // a caller on its way in, about to write its request alone
	sc.Reply(t, resp.SimpleString("OK"))
	await(t, set)
	testwait.EventuallyWithin(t, time.Second, "the reader to let go of the role for the caller on its way in", func() bool {
		return readRole(m.current.Load().role.Load()) == roleUnowned
	})
	m.load.Add(-1)
}
