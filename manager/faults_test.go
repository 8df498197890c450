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

// The tests in this file inject connection faults: errors that kill a
// connection (invariant 8), refused redials and their backoff, stalls and
// slow callers (invariant 9), and requests made while a manager is down.

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
			m := newFaultManager(t, srv, Config{Handshake: HandshakeCommands(setname)})
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
			sc2.Expect(t, "PING")
			sc2.Reply(t, resp.SimpleString("PONG"))
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

// TestInvariant9StallsAreDetected: a server that accepts and then never
// answers. Requests with no deadline of their own fail with a *ConnError
// wrapping ErrStalled once the oldest has waited StallTimeout and a PING has
// waited PingTimeout; the stall is counted and the manager reconnects.
func TestInvariant9StallsAreDetected(t *testing.T) {
	const stall, ping = 100 * time.Millisecond, 50 * time.Millisecond
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{StallTimeout: stall, PingTimeout: ping})
	sc := srv.Accept(t)

	start := time.Now()
	a := goDo(context.Background(), m, "GET", "a")
	sc.Expect(t, "GET", "a")
	b := goDo(context.Background(), m, "GET", "b")
	sc.Expect(t, "GET", "b")
	sc.Expect(t, "PING") // the stall detector's probe, never answered

	for _, ch := range []<-chan result{a, b} {
		r := await(t, ch)
		elapsed := time.Since(start)
		ce := wantConnError(t, r, "read", "GET")
		if !errors.Is(r.err, ErrStalled) || ce.Unwrap() != ErrStalled {
			t.Errorf("cause %v, want ErrStalled", ce.Unwrap())
		}
		if elapsed < stall || elapsed > time.Second {
			t.Errorf("failed after %v, want between StallTimeout (%v) and 1s", elapsed, stall)
		}
	}
	if st := m.Stats(); st.Stalls != 1 {
		t.Errorf("Stats().Stalls = %d, want 1", st.Stalls)
	}

	sc2 := srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	ok := goDo(testContext(t), m, "ECHO", "alive")
	sc2.Expect(t, "ECHO", "alive")
	sc2.Reply(t, bulk("alive"))
	wantString(t, await(t, ok), "alive")
	if st := m.Stats(); st.Stalls != 1 || st.Reconnects != 1 || st.Load != 0 {
		t.Errorf("Stats = %+v, want 1 stall, 1 reconnect, load 0", st)
	}
}

// TestInvariant9SlowCallerTimeoutNeverKillsConnection: callers whose own
// timeout (10ms) is shorter than the server's answer (50ms, well under
// StallTimeout) get DeadlineExceeded; their replies are read and dropped,
// the connection stays, and the next caller gets its own reply.
func TestInvariant9SlowCallerTimeoutNeverKillsConnection(t *testing.T) {
	const (
		callerTimeout = 10 * time.Millisecond
		serverDelay   = 50 * time.Millisecond
		slowCallers   = 5
	)
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{StallTimeout: 500 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	sc := srv.Accept(t)

	var calls []<-chan result
	var received time.Time
	for i := range slowCallers {
		ctx, cancel := context.WithTimeout(context.Background(), callerTimeout)
		defer cancel()
		calls = append(calls, goDo(ctx, m, "ECHO", fmt.Sprintf("slow-%d", i)))
		sc.Expect(t, "ECHO", fmt.Sprintf("slow-%d", i))
		if i == 0 {
			received = time.Now()
		}
	}
	for _, ch := range calls {
		if r := await(t, ch); r.err != context.DeadlineExceeded {
			t.Fatalf("slow caller got %q, %v; want exactly context.DeadlineExceeded", str(r.v), r.err)
		}
	}
	// The server answers late: the scripted delay of a slow command.
	<-time.After(time.Until(received.Add(serverDelay)))
	for i := range slowCallers {
		sc.Reply(t, bulk(fmt.Sprintf("slow-%d", i)))
	}

	next := goDo(testContext(t), m, "ECHO", "next")
	sc.Expect(t, "ECHO", "next")
	sc.Reply(t, bulk("next"))
	wantString(t, await(t, next), "next")

	st := m.Stats()
	if st.Reconnects != 0 || st.Stalls != 0 || !st.Connected || st.Failed != 0 {
		t.Errorf("Stats = %+v: the connection was replaced or a request failed", st)
	}
	if st.Completed != slowCallers+1 || st.Load != 0 {
		t.Errorf("Stats = %+v, want %d completed (the late replies read and dropped), load 0", st, slowCallers+1)
	}
	for _, cmd := range srv.Received() {
		if cmd[0] == "PING" {
			t.Errorf("the stall detector probed the connection: a slow caller is not a stall")
		}
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
