package manager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Stall detection (invariant 9): a server that stops answering is found
// out and replaced; slow callers and slow but steady replies are not
// stalls.

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
	sc2.Expect(t, "ECHO", "alive").Reply(bulk("alive"))
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
	sc.Expect(t, "ECHO", "next").Reply(bulk("next"))
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

// TestStallDetectionSparesSlowReplies: replies that keep arriving, however
// slowly, are progress. It used to count only whole replies, so a pipeline
// answered one reply per 20 ms, or a 256 KiB reply dribbled in 8 KiB
// pieces, was killed with ErrStalled.
func TestStallDetectionSparesSlowReplies(t *testing.T) {
	const (
		stall = 100 * time.Millisecond
		ping  = 50 * time.Millisecond
		pace  = 20 * time.Millisecond // well under stall, and ping
	)
	slow := func(sc *fakeredis.Conn, cmd []string) {
		switch cmd[0] {
		case "SLOWBULK":
			payload := strings.Repeat("x", 256<<10)
			raw := resp.AppendValue(nil, bulk(payload))
			for len(raw) > 0 {
				n := min(len(raw), 8<<10)
				if sc.SendRaw(string(raw[:n])) != nil {
					return
				}
				raw = raw[n:]
				time.Sleep(pace) // the server is slow: not synchronization
			}
		case "SLOWREPLY":
			time.Sleep(pace)
			_ = sc.Send(bulk(cmd[1]))
		default:
			fakeredis.Echo(sc, cmd)
		}
	}
	cfg := Config{StallTimeout: stall, PingTimeout: ping}

	t.Run("a 256 KiB reply in 8 KiB pieces", func(t *testing.T) {
		srv := newServer(t, fakeredis.WithHandler(slow))
		m := newManager(t, srv, cfg)
		r := await(t, goDo(testContext(t), m, "SLOWBULK"))
		if r.err != nil || len(str(r.v)) != 256<<10 {
			t.Fatalf("SLOWBULK: %d bytes, %v; want 256 KiB and no error", len(str(r.v)), r.err)
		}
		if st := m.Stats(); st.Stalls != 0 || st.Reconnects != 0 {
			t.Errorf("Stats: %d stalls, %d reconnects; want none", st.Stalls, st.Reconnects)
		}
	})
	t.Run("a 30-command pipeline answered one reply per 20ms", func(t *testing.T) {
		srv := newServer(t, fakeredis.WithHandler(slow))
		m := newManager(t, srv, cfg)
		cmds := make([][]string, 30)
		for i := range cmds {
			cmds[i] = []string{"SLOWREPLY", strings.Repeat("r", i+1)}
		}
		r := await(t, goDoMulti(testContext(t), m, cmds...))
		if r.err != nil || len(r.vs) != len(cmds) {
			t.Fatalf("pipeline: %d replies, %v; want %d and no error", len(r.vs), r.err, len(cmds))
		}
		if st := m.Stats(); st.Stalls != 0 || st.Reconnects != 0 {
			t.Errorf("Stats: %d stalls, %d reconnects; want none", st.Stalls, st.Reconnects)
		}
	})
	t.Run("a silent server is still declared stalled", func(t *testing.T) {
		srv := newServer(t)
		m := newManager(t, srv, cfg)
		sc := srv.Accept(t)
		call := goDo(testContext(t), m, "GET", "k")
		sc.Expect(t, "GET", "k")
		sc.Expect(t, "PING") // the probe, never answered
		r := await(t, call)
		var ce *ConnError
		if !errors.As(r.err, &ce) || !errors.Is(r.err, ErrStalled) {
			t.Fatalf("GET on a silent server: %v; want a *ConnError with ErrStalled", r.err)
		}
	})
}

// TestRegressionTinyStallTimeoutPanics: a StallTimeout of 1-3ns passes
// validation (it is positive) but the stall detector's tick is
// StallTimeout/4 == 0, and time.NewTicker(0) panics on the manager's
// goroutine, which kills the process.
func TestRegressionTinyStallTimeoutPanics(t *testing.T) {
	srv := newEchoServer(t)
	newManager(t, srv, Config{StallTimeout: 3}) // 3ns: valid (positive) but StallTimeout/4 == 0
}
