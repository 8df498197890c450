package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Losing a connection and getting another: errors kill the connection and
// never resync (invariant 8), redials are backed off one at a time, and
// requests made while a manager is down fail at once as not sent.

// TestInvariant8ErrorKillsConnectionNeverResyncs: an I/O error and a
// protocol error each kill the connection. Every entry still in the FIFO
// (here a pipeline cut after its first reply, and a single command behind
// it) fails with a *ConnError naming the read, the address and its own
// command; the reply that did arrive before the fault went to its caller.
// The manager reconnects once, runs the handshake again on the new
// connection before anything else, and replays nothing: the server sees
// every command exactly once.
func TestInvariant8ErrorKillsConnectionNeverResyncs(t *testing.T) {
	setname := resp.AppendCommandStrings(nil, "CLIENT", "SETNAME", "faults")
	cases := []struct {
		name  string
		fault func(t *testing.T, sc *fakeredis.Conn)
		cause func(t *testing.T, err error)
	}{{
		name:  "io error: the server closes",
		fault: func(t *testing.T, sc *fakeredis.Conn) { sc.Close() },
		cause: func(t *testing.T, err error) {
			if !errors.Is(err, io.EOF) {
				t.Errorf("cause of %v is not io.EOF", err)
			}
		},
	}, {
		name: "protocol error: garbage",
		fault: func(t *testing.T, sc *fakeredis.Conn) {
			if err := sc.SendRaw("?garbage\r\n"); err != nil {
				t.Fatal(err)
			}
		},
		cause: func(t *testing.T, err error) {
			var pe *resp.ProtocolError
			if !errors.As(err, &pe) {
				t.Errorf("cause of %v is not a *resp.ProtocolError", err)
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The handshake is answered as it arrives; the test answers
			// everything else.
			srv := newServer(t, fakeredis.AutoReply(fakeredis.SetupCommands))
			m := newFaultManager(t, srv, Config{Handshake: handshakeCommands(setname)})
			sc := srv.Accept(t)
			ctx := testContext(t)

			// Three entries on the wire, in a known order.
			first := goDo(ctx, m, "GET", "a")
			sc.Expect(t, "GET", "a")
			pipe := goDoMulti(ctx, m, []string{"ECHO", "x"}, []string{"ECHO", "y"})
			sc.Expect(t, "ECHO", "x")
			sc.Expect(t, "ECHO", "y")
			last := goDo(ctx, m, "GET", "b")
			sc.Expect(t, "GET", "b")

			sc.Reply(t, bulk("va"))
			wantString(t, await(t, first), "va")
			sc.Reply(t, bulk("x")) // half of the pipeline's replies
			tc.fault(t, sc)

			for _, p := range []struct {
				ch  <-chan result
				cmd string
			}{{pipe, "ECHO"}, {last, "GET"}} {
				r := await(t, p.ch)
				if r.vs != nil {
					t.Errorf("%s got replies %d along with its error", p.cmd, len(r.vs))
				}
				tc.cause(t, wantConnError(t, r, "read", p.cmd))
			}

			sc2 := srv.Accept(t)
			testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
			ping := goDo(ctx, m, "PING")
			sc2.Expect(t, "PING").Reply(resp.SimpleString("PONG"))
			wantString(t, await(t, ping), "PONG")

			got := strings.Join(commandNames(srv.Received()), " | ")
			want := "CLIENT SETNAME faults | GET a | ECHO x | ECHO y | GET b | CLIENT SETNAME faults | PING"
			if got != want {
				t.Errorf("server received\n\t%s\nwant (handshake again first, nothing replayed)\n\t%s", got, want)
			}
			st := m.Stats()
			if st.Reconnects != 1 || st.Failed != 2 || st.Completed != 2 || st.Load != 0 || st.Stalls != 0 {
				t.Errorf("Stats = %+v, want 1 reconnect, 2 failed, 2 completed, load 0", st)
			}
		})
	}
}

func TestUnexpectedReplyKillsConnection(t *testing.T) {
	srv := newServer(t)
	redial := make(chan struct{}) // closed: the server accepts again
	srv.SetDialHook(func(ctx context.Context, n int) error {
		select {
		case <-redial:
			return nil
		default:
		}
		if n > 1 {
			return errRefused
		}
		return nil
	})
	m := newManager(t, srv, Config{BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	sc := srv.Accept(t)
	ctx := testContext(t)

	// Keep the writer busy in a large write so GET waits in the queue.
	big := strings.Repeat("x", 256<<10)
	started := srv.ClientWriteStarted(len(big))
	sc.PauseReads()
	set := goDo(ctx, m, "SET", "big", big)
	testwait.WaitFor(t, started, "the writer to block in the large write")
	get := goDo(ctx, m, "GET", "k")
	// GET waits in the queue or in the writer's hands, behind the write.
	testwait.Eventually(t, "GET to be queued", func() bool { return m.Stats().Load == 2 })

	// Answer the only request in flight, then send a reply nobody asked for.
	sc.Reply(t, resp.SimpleString("OK"))
	wantString(t, await(t, set), "OK")
	sc.Reply(t, resp.SimpleString("OK"))

	r := await(t, get)
	var ce *ConnError
	if !errors.As(r.err, &ce) || ce.Addr != testAddr || ce.Cmd != "GET" {
		t.Fatalf("pending GET got %q, %v; want a *ConnError naming GET and %s", str(r.v), r.err, testAddr)
	}
	switch ce.Op {
	case "read": // failed with the session
		if !errors.Is(r.err, errUnexpectedReply) {
			t.Errorf("read error %v, want it caused by the unexpected reply", r.err)
		}
	case "dial": // failed while the manager was down
	default:
		t.Errorf("Op = %q, want read or dial", ce.Op)
	}
	sc.ResumeReads()
	testwait.WaitFor(t, sc.Done(), "the connection to be closed")
	if m.Connected() {
		t.Errorf("Connected() while every redial is refused")
	}

	close(redial)
	sc2 := srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	ping := goDo(ctx, m, "PING")
	sc2.Expect(t, "PING").Reply(resp.SimpleString("PONG"))
	wantString(t, await(t, ping), "PONG")
	if st := m.Stats(); st.Failed != 1 || st.Load != 0 {
		t.Errorf("Stats = %+v, want 1 failed, load 0", st)
	}
}

// TestReconnectBackoffIsCappedWithJitter: a manager whose redials are
// refused tries again after waits that double from BackoffMin and stop
// growing at BackoffMax, one attempt at a time, however many requests
// arrive meanwhile (each fails at once with a *ConnError, none dials).
func TestReconnectBackoffIsCappedWithJitter(t *testing.T) {
	const (
		lo, hi   = 20 * time.Millisecond, 80 * time.Millisecond
		refusals = 7
		// slack is how late the scheduler may run a timer; the caps
		// checked below are still far under what uncapped doubling gives.
		slack = 100 * time.Millisecond
		// refuseAfter makes each refused dial take a moment, so that
		// overlapping attempts would be seen overlapping.
		refuseAfter = 2 * time.Millisecond
	)
	var (
		mu          sync.Mutex
		attempts    []time.Time // redials, in order
		inFlight    atomic.Int32
		maxInFlight atomic.Int32
	)
	srv := newEchoServer(t)
	srv.SetDialHook(func(ctx context.Context, n int) error {
		if n == 1 {
			return nil // New's dial
		}
		if cur := inFlight.Add(1); cur > maxInFlight.Load() {
			maxInFlight.Store(cur)
		}
		defer inFlight.Add(-1)
		mu.Lock()
		attempts = append(attempts, time.Now())
		mu.Unlock()
		if n > refusals+1 {
			return nil
		}
		select {
		case <-time.After(refuseAfter):
		case <-ctx.Done():
		}
		return errRefused
	})
	m := newFaultManager(t, srv, Config{BackoffMin: lo, BackoffMax: hi})
	srv.Accept(t).Close()

	// Requests made meanwhile fail at once and never cause a dial.
	ctx := testContext(t)
	var calls []<-chan result
	for i := range 20 {
		calls = append(calls, goDo(ctx, m, "GET", fmt.Sprintf("k%d", i)))
	}
	for _, ch := range calls {
		r := await(t, ch)
		var ce *ConnError
		if r.err == nil {
			continue // it may have been written after the reconnect
		}
		if !errors.As(r.err, &ce) || ce.Cmd != "GET" {
			t.Errorf("request while down got %v, want a *ConnError naming GET", r.err)
		}
	}

	srv.Accept(t) // the connection that was finally accepted
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	wantString(t, await(t, goDo(ctx, m, "ECHO", "back")), "back")

	mu.Lock()
	times := append([]time.Time(nil), attempts...)
	mu.Unlock()
	if len(times) != refusals+1 {
		t.Fatalf("%d redials, want %d refused and 1 accepted: requests made while down must not dial", len(times), refusals)
	}
	if got := maxInFlight.Load(); got != 1 {
		t.Errorf("%d dials in flight at once, want 1 (single flight)", got)
	}
	wait := time.Duration(0)
	var gaps []string
	for i := 1; i < len(times); i++ {
		wait = nextBackoff(wait, lo, hi) // the wait drawn before attempt i+1
		gap := times[i].Sub(times[i-1])
		gaps = append(gaps, gap.Round(time.Millisecond).String())
		// Jitter draws from the upper half of the wait, and a timer never
		// fires early: the gap is at least half the wait...
		if gap < wait/2 {
			t.Errorf("gap %d is %v, want at least %v (half of %v)", i, gap, wait/2, wait)
		}
		// ...and at most the wait, which never exceeds BackoffMax.
		if gap > wait+slack {
			t.Errorf("gap %d is %v, want at most %v + %v", i, gap, wait, slack)
		}
	}
	t.Logf("gaps between redials: %s", strings.Join(gaps, " "))

	// The schedule itself: doubling from lo, capped at hi.
	var schedule []time.Duration
	for d, i := time.Duration(0), 0; i < 6; i++ {
		d = nextBackoff(d, lo, hi)
		schedule = append(schedule, d)
	}
	if want := []time.Duration{lo, 2 * lo, 4 * lo, hi, hi, hi}; fmt.Sprint(schedule) != fmt.Sprint(want) {
		t.Errorf("backoff schedule %v, want %v", schedule, want)
	}
	// The jitter: every draw in the upper half, and spread across it.
	const d = 100 * time.Millisecond
	lowest, highest := d, time.Duration(0)
	for range 2000 {
		j := jitter(d)
		if j < d/2 || j > d {
			t.Fatalf("jitter(%v) = %v, want within [%v, %v]", d, j, d/2, d)
		}
		lowest, highest = min(lowest, j), max(highest, j)
	}
	if lowest > 55*time.Millisecond || highest < 95*time.Millisecond {
		t.Errorf("2000 draws of jitter(%v) span only [%v, %v]: not spread over the upper half", d, lowest, highest)
	}
	if jitter(0) != 0 {
		t.Errorf("jitter(0) = %v, want 0: the first redial is immediate", jitter(0))
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

// TestRequestsWhileDownFailWithConnError: while a manager is down and its
// redials are refused, a request fails at once with a *ConnError whose Op is
// "dial", naming the command, the address and the dial's error. Once the
// server accepts again, requests succeed.
func TestRequestsWhileDownFailWithConnError(t *testing.T) {
	refused := make(chan struct{}, 1)
	accept := make(chan struct{})
	srv := newEchoServer(t)
	srv.SetDialHook(func(ctx context.Context, n int) error {
		if n == 1 {
			return nil
		}
		select {
		case <-accept:
			return nil
		default:
		}
		select {
		case refused <- struct{}{}:
		default:
		}
		return errRefused
	})
	m := newFaultManager(t, srv, Config{BackoffMin: 10 * time.Millisecond, BackoffMax: 40 * time.Millisecond})
	srv.Accept(t).Close()
	// After a refused redial the latest failure is the dial's.
	testwait.WaitFor(t, refused, "a refused redial")
	// The hook runs before the dial returns: wait until the manager has
	// taken the refusal as its latest failure.
	testwait.Eventually(t, "the refusal to be the latest failure", func() bool {
		last := m.lastErr.Load()
		return last != nil && errors.Is(*last, errRefused)
	})

	ctx := testContext(t)
	for _, cmd := range [][]string{{"GET", "k"}, {"SET", "k", "v"}, {"PING"}} {
		start := time.Now()
		r := await(t, goDo(ctx, m, cmd...))
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("%s failed after %v, want at once", cmd[0], elapsed)
		}
		ce := wantConnError(t, r, "dial", cmd[0])
		if !errors.Is(r.err, errRefused) {
			t.Errorf("cause %v, want the dial's error", ce.Unwrap())
		}
		if msg := r.err.Error(); !strings.Contains(msg, cmd[0]) || !strings.Contains(msg, testAddr) {
			t.Errorf("message %q does not name %s and %s", msg, cmd[0], testAddr)
		}
	}
	if m.Connected() {
		t.Errorf("Connected() while every redial is refused")
	}

	close(accept)
	srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() })
	wantString(t, await(t, goDo(ctx, m, "ECHO", "back")), "back")
	if st := m.Stats(); st.Reconnects != 1 || st.Failed != 3 || st.Written != 1 {
		t.Errorf("Stats = %+v, want 1 reconnect, 3 failed, only the last request written", st)
	}
}

// TestRequestsDuringRedialFailAtOnceAsNotSent: while a manager redials, a
// request given to it fails at once with a *ConnError whose Sent is false,
// for the pool to send elsewhere. It used to wait for the dial's outcome,
// up to DialTimeout + HandshakeTimeout.
func TestRequestsDuringRedialFailAtOnceAsNotSent(t *testing.T) {
	srv := newEchoServer(t)
	redialing := make(chan struct{})
	release := make(chan struct{})
	srv.SetDialHook(func(ctx context.Context, n int) error {
		if n == 1 {
			return nil
		}
		if n == 2 {
			close(redialing)
		}
		select { // the redial hangs until the test ends it
		case <-release:
		case <-ctx.Done():
		}
		return errRefused
	})
	m := newManager(t, srv, Config{})
	defer close(release)
	srv.Accept(t).Close()
	testwait.WaitFor(t, redialing, "the redial to start")

	start := time.Now()
	r := await(t, goDo(testContext(t), m, "GET", "k"))
	var ce *ConnError
	if !errors.As(r.err, &ce) || ce.Sent || errors.Is(r.err, ErrMaybeExecuted) {
		t.Fatalf("GET during a redial: %v; want a *ConnError marked not sent", r.err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("the GET waited %v for the redial", elapsed)
	}
	if !strings.Contains(r.err.Error(), "not sent") {
		t.Errorf("message %q does not say the GET was not sent", r.err)
	}
}
