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

// Edge cases found by attacking the client on purpose. Each test is named
// after the behaviour it pins down; the bug it once was is in its comment.

// TestCancelledWhileFIFOFullIsNeverWritten: with the in-flight FIFO full,
// a request whose caller gives up while the writer waits for a slot is
// never written (invariant 3). It used to be: the writer checked the caller
// once, then blocked on the FIFO without looking again, so a SET whose
// caller got context.Canceled still ran on the server.
func TestCancelledWhileFIFOFullIsNeverWritten(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{MaxInFlight: 1})
	sc := srv.Accept(t)
	ctx := testContext(t)

	first := goDo(ctx, m, "EVAL", "long script", "0")
	sc.Expect(t, "EVAL", "long script", "0")

	setCtx, cancelSet := context.WithCancel(ctx)
	set := goDo(setCtx, m, "SET", "k", "v")
	testwait.Eventually(t, "the writer to take the SET and wait for a FIFO slot", func() bool {
		st := m.Stats()
		return st.Queued == 0 && st.Load == 2
	})
	cancelSet()
	wantErr(t, await(t, set), context.Canceled)

	sc.Reply(t, bulk("done"))
	wantString(t, await(t, first), "done")
	next := goDo(ctx, m, "GET", "k")
	sc.Expect(t, "GET", "k") // not the SET
	sc.Reply(t, bulk("v0"))
	wantString(t, await(t, next), "v0")
	// The GET may be written by its own caller before the writer, which
	// took the SET from the queue, has looked at it again and dropped it.
	testwait.Eventually(t, "the writer to drop the SET", func() bool { return m.Stats().Dropped == 1 })
	for _, cmd := range srv.Received() {
		if cmd[0] == "SET" {
			t.Fatalf("the server received %q although its caller gave up first", cmd)
		}
	}
	if st := m.Stats(); st.Dropped != 1 || st.Written != 2 {
		t.Errorf("Stats: %d dropped, %d written; want 1 and 2", st.Dropped, st.Written)
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

// TestWrittenCountsOnlyWritesThatHappened: Stats.Written counts requests
// whose bytes were written. It used to count them when they joined the
// batch, so requests whose write was skipped because the connection had
// just died were counted as written.
func TestWrittenCountsOnlyWritesThatHappened(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	s := m.current.Load()

	m.writeMu.Lock()
	req := newCmd("GET", "k")
	req.ctxDone = testContext(t).Done()
	m.load.Add(1)
	buf := m.appendRequest(s, nil, req)
	s.kill(&ConnError{Op: "read", Addr: testAddr, Err: errors.New("killed by the test")})
	m.flush(s, buf)
	m.writeMu.Unlock()

	if st := m.Stats(); st.Written != 0 || st.Batches != 0 {
		t.Errorf("Stats: %d written in %d batches; want none: the write never happened", st.Written, st.Batches)
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

// TestUnwrittenFIFOEntriesFailAsNotSent: an entry whose batch was never
// handed to a write when its session died fails as not sent; one that was
// written fails as sent.
func TestUnwrittenFIFOEntriesFailAsNotSent(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{})
	sc := srv.Accept(t)
	ctx := testContext(t)
	sent := goDo(ctx, m, "GET", "written")
	sc.Expect(t, "GET", "written")

	s := m.current.Load()
	m.writeMu.Lock()
	req := newCmd("GET", "unwritten")
	req.ctxDone = ctx.Done()
	m.load.Add(1)
	done := make(chan result, 1)
	go func() { done <- result{err: func() error { wait(ctx, req); _, _, err := req.Result(); return err }()} }()
	_ = m.appendRequest(s, nil, req) // in the FIFO, never flushed
	s.kill(&ConnError{Op: "read", Addr: testAddr, Err: errors.New("killed by the test")})
	m.writeMu.Unlock()

	var ce *ConnError
	if r := await(t, sent); !errors.As(r.err, &ce) || !ce.Sent {
		t.Errorf("written GET: %v; want a *ConnError marked sent", r.err)
	}
	if r := await(t, done); !errors.As(r.err, &ce) || ce.Sent {
		t.Errorf("unwritten GET: %v; want a *ConnError marked not sent", r.err)
	}
}
