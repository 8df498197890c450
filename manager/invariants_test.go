package manager

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// The tests in this file are named after the invariants of DESIGN.md.

func TestInvariant1FIFOOrder(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	ctx := testContext(t)

	const callers = 1000
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprintf("payload-%04d", i)
			req := newCmd("ECHO", want)
			<-start
			v, err := m.do(ctx, req)
			if err != nil || str(v) != want {
				t.Errorf("caller %d: got %q, %v; want its own payload %q", i, str(v), err, want)
			}
		}()
	}
	close(start)
	testwait.WaitFor(t, testwait.Done(&wg), "every caller to return")

	seen := make(map[string]int)
	for _, cmd := range srv.Received() {
		seen[cmd[1]]++
	}
	for i := range callers {
		if p := fmt.Sprintf("payload-%04d", i); seen[p] != 1 {
			t.Errorf("server saw %q %d times, want once", p, seen[p])
		}
	}
	st := m.Stats()
	if st.Completed != callers || st.Written != callers || st.Load != 0 || st.Failed != 0 {
		t.Errorf("Stats = %+v, want %d written and completed, nothing failed or pending", st, callers)
	}
	t.Logf("%d requests in %d writes (%.1f per write)", st.Written, st.Batches, st.AvgBatch())
}

func TestInvariant2CancellationNeverDesyncs(t *testing.T) {
	cases := []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		giveUp func(cancel context.CancelFunc) // once the request is on the wire
		want   error
	}{{
		name:   "cancel",
		ctx:    func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		giveUp: func(cancel context.CancelFunc) { cancel() },
		want:   context.Canceled,
	}, {
		name: "timeout",
		ctx: func() (context.Context, context.CancelFunc) {
			// Long enough for the request to reach the wire first.
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		},
		giveUp: func(context.CancelFunc) {}, // the timer does it
		want:   context.DeadlineExceeded,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			m := newManager(t, srv, Config{})
			sc := srv.Accept(t)

			ctx, cancel := tc.ctx()
			defer cancel()
			first := goDo(ctx, m, "ECHO", "first")
			sc.Expect(t, "ECHO", "first") // on the wire, reply held
			tc.giveUp(cancel)
			if r := await(t, first); r.err != tc.want {
				t.Fatalf("abandoned caller got %q, %v; want exactly %v", str(r.v), r.err, tc.want)
			}

			second := goDo(testContext(t), m, "ECHO", "second")
			sc.Expect(t, "ECHO", "second")
			sc.Reply(t, bulk("first")) // the abandoned caller's reply, late
			sc.Reply(t, bulk("second"))
			wantString(t, await(t, second), "second")

			st := m.Stats()
			if st.Reconnects != 0 || !st.Connected || !m.Connected() {
				t.Errorf("connection was replaced: %+v", st)
			}
			if st.Completed != 2 || st.Dropped != 0 || st.Failed != 0 || st.Load != 0 {
				t.Errorf("Stats = %+v, want 2 completed (one reply read and dropped), load 0", st)
			}
		})
	}
}

func TestInvariant3GaveUpBeforeWriteNeverWritten(t *testing.T) {
	cases := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		// giveUp makes the caller give up while its request is queued.
		giveUp func(cancel context.CancelFunc)
		want   error
	}{{
		name:   "cancelled while queued",
		ctx:    func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		giveUp: func(cancel context.CancelFunc) { cancel() },
		want:   context.Canceled,
	}, {
		name: "deadline passed before the call",
		ctx: func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		},
		giveUp: func(context.CancelFunc) {},
		want:   context.DeadlineExceeded,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			m := newManager(t, srv, Config{})
			sc := srv.Accept(t)
			ctx := testContext(t)

			// A: a write the server stops reading, so the writer blocks in it.
			big := strings.Repeat("a", 256<<10)
			started := srv.ClientWriteStarted(len(big))
			sc.PauseReads()
			a := goDo(ctx, m, "SET", "a", big)
			testwait.WaitFor(t, started, "the writer to block in A's write")

			// B: queued behind A; its caller gives up before the writer
			// gets to it.
			bctx, cancel := tc.ctx()
			defer cancel()
			b := goDo(bctx, m, "SET", "b", "never-written")
			tc.giveUp(cancel)
			if r := await(t, b); r.err != tc.want {
				t.Fatalf("B got %v, want exactly %v", r.err, tc.want)
			}
			// C: queued after B (B's Do returned, so B is in the queue).
			c := goDo(ctx, m, "SET", "c", "written")

			sc.ResumeReads()
			sc.Expect(t, "SET", "a", big).Reply(resp.SimpleString("OK"))
			sc.Expect(t, "SET", "c", "written") // B, queued before C, was skipped
			sc.Reply(t, resp.SimpleString("OK"))
			wantString(t, await(t, a), "OK")
			wantString(t, await(t, c), "OK")

			for _, cmd := range srv.Received() {
				if cmd[1] == "b" {
					t.Errorf("server received B: %q", fakeredis.ClipArgs(cmd))
				}
			}
			st := m.Stats()
			if st.Dropped != 1 || st.Written != 2 || st.Failed != 0 || st.Load != 0 {
				t.Errorf("Stats = %+v, want 1 dropped, 2 written, load 0", st)
			}
		})
	}
}

func TestInvariant4ReaderNeverWaitsOnACaller(t *testing.T) {
	t.Run("abandoned callers", func(t *testing.T) {
		srv := newServer(t)
		m := newManager(t, srv, Config{})
		sc := srv.Accept(t)
		ctx := testContext(t)

		// Abandoned: written, then their callers leave before any reply.
		const abandoned, live = 200, 200
		cctx, cancel := context.WithCancel(ctx)
		var gone []<-chan result
		for i := range abandoned {
			gone = append(gone, goDo(cctx, m, "ECHO", fmt.Sprintf("gone-%d", i)))
		}
		var held [][]string
		for range abandoned {
			held = append(held, sc.Next(t))
		}
		cancel()
		for _, ch := range gone {
			wantErr(t, await(t, ch), context.Canceled)
		}

		// Live callers queue behind them; nobody collects the replies
		// before theirs.
		var alive []<-chan result
		for i := range live {
			alive = append(alive, goDo(ctx, m, "ECHO", fmt.Sprintf("live-%d", i)))
		}
		for _, cmd := range held {
			sc.Reply(t, fakeredis.Answer(cmd))
		}
		for range live {
			sc.Reply(t, fakeredis.Answer(sc.Next(t)))
		}
		got := make(map[string]bool)
		for _, ch := range alive {
			r := await(t, ch)
			if r.err != nil || !strings.HasPrefix(str(r.v), "live-") || got[str(r.v)] {
				t.Fatalf("live caller got %q, %v", str(r.v), r.err)
			}
			got[str(r.v)] = true
		}
		if st := m.Stats(); st.Completed != abandoned+live || st.Load != 0 || st.Reconnects != 0 {
			t.Errorf("Stats = %+v, want %d completed, load 0, no reconnect", st, abandoned+live)
		}
	})

	t.Run("cancellations racing replies", func(t *testing.T) {
		srv := newEchoServer(t)
		m := newManager(t, srv, Config{})
		ctx := testContext(t)

		const n = 1000
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				want := fmt.Sprintf("p-%d", i)
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				req := newCmd("ECHO", want)
				if i%2 == 1 {
					go cancel() // leaves at a random point of the request's life
				}
				v, err := m.do(cctx, req)
				switch {
				case err == nil && str(v) == want:
				case err == context.Canceled && i%2 == 1:
				default:
					t.Errorf("caller %d got %q, %v", i, str(v), err)
				}
			}()
		}
		testwait.WaitFor(t, testwait.Done(&wg), "every caller to return")
		testwait.Eventually(t, "every request to be answered or dropped", func() bool {
			st := m.Stats()
			return st.Load == 0 && st.Completed+st.Dropped == n
		})
		st := m.Stats()
		if st.Completed+st.Dropped != n || st.Failed != 0 || st.Reconnects != 0 {
			t.Errorf("Stats = %+v, want completed+dropped = %d, nothing failed", st, n)
		}
		if got := len(srv.Received()); uint64(got) != st.Completed {
			t.Errorf("server received %d commands, manager completed %d", got, st.Completed)
		}
	})
}

func TestInvariant5ReaderAndWriterAreIndependent(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{})
	sc := srv.Accept(t)
	ctx := testContext(t)

	get := goDo(ctx, m, "GET", "k")
	sc.Expect(t, "GET", "k") // written; its reply is held for now

	huge := strings.Repeat("x", 8<<20)
	started := srv.ClientWriteStarted(len(huge))
	sc.PauseReads()
	set := goDo(ctx, m, "SET", "huge", huge)
	testwait.WaitFor(t, started, "the huge write to start")

	// The server reads nothing more, so the 8 MiB write cannot finish;
	// the reply to GET must still be read and delivered.
	sc.Reply(t, bulk("v"))
	wantString(t, await(t, get), "v")
	notDone(t, set, "the stalled SET")

	sc.ResumeReads()
	if cmd := sc.Next(t); len(cmd) != 3 || cmd[0] != "SET" || cmd[2] != huge {
		t.Fatalf("server received %q, want the huge SET intact", fakeredis.ClipArgs(cmd))
	}
	sc.Reply(t, resp.SimpleString("OK"))
	wantString(t, await(t, set), "OK")
}

func TestInvariant6BatchesAreContiguous(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	ctx := testContext(t)

	const (
		pipeliners, singlers = 8, 32
		rounds               = 20
		k                    = 10
	)
	var wg sync.WaitGroup
	for g := range pipeliners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				var cmds [][]string
				for j := range k {
					cmds = append(cmds, []string{"ECHO", fmt.Sprintf("multi-%d-%d-%d", g, r, j)})
				}
				vs, err := m.doMulti(ctx, newPipeline(cmds...))
				if err != nil || len(vs) != k {
					t.Errorf("pipeline %d/%d: %d replies, %v", g, r, len(vs), err)
					return
				}
				for j, v := range vs {
					if str(v) != cmds[j][1] {
						t.Errorf("pipeline %d/%d reply %d = %q, want %q", g, r, j, str(v), cmds[j][1])
					}
				}
			}
		}()
	}
	for g := range singlers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				want := fmt.Sprintf("single-%d-%d", g, r)
				if v, err := m.do(ctx, newCmd("ECHO", want)); err != nil || str(v) != want {
					t.Errorf("single %d/%d got %q, %v", g, r, str(v), err)
				}
			}
		}()
	}
	testwait.WaitFor(t, testwait.Done(&wg), "every caller to return")

	// On the wire, each pipeline's k commands are back to back.
	log := srv.Received()
	for i, cmd := range log {
		p := cmd[1]
		if !strings.HasPrefix(p, "multi-") || !strings.HasSuffix(p, "-0") {
			continue
		}
		prefix := strings.TrimSuffix(p, "0")
		for j := 1; j < k; j++ {
			if i+j >= len(log) || log[i+j][1] != prefix+fmt.Sprint(j) {
				t.Fatalf("pipeline %s interleaved on the wire at command %d", prefix, j)
			}
		}
	}
	if want := pipeliners*rounds*k + singlers*rounds; len(log) != want {
		t.Errorf("server received %d commands, want %d", len(log), want)
	}
}

func TestInvariant7PushesBypassTheFIFO(t *testing.T) {
	push := resp.PushOf(bulk("invalidate"), resp.ArrayOf(bulk("k")))
	cases := []struct {
		name   string
		script func(t *testing.T, m *Manager, sc *fakeredis.Conn, pushed <-chan struct{})
	}{{
		name: "before a reply",
		script: func(t *testing.T, m *Manager, sc *fakeredis.Conn, _ <-chan struct{}) {
			get := goDo(testContext(t), m, "GET", "k")
			sc.Expect(t, "GET", "k")
			sc.Reply(t, push)
			sc.Reply(t, bulk("v"))
			wantString(t, await(t, get), "v")
		},
	}, {
		name: "inside a pipeline's replies",
		script: func(t *testing.T, m *Manager, sc *fakeredis.Conn, _ <-chan struct{}) {
			multi := goDoMulti(testContext(t), m, []string{"ECHO", "x"}, []string{"ECHO", "y"})
			sc.Expect(t, "ECHO", "x")
			sc.Expect(t, "ECHO", "y")
			sc.Reply(t, bulk("x"))
			sc.Reply(t, push)
			sc.Reply(t, bulk("y"))
			r := await(t, multi)
			if r.err != nil || len(r.vs) != 2 || str(r.vs[0]) != "x" || str(r.vs[1]) != "y" {
				t.Fatalf("pipeline got %v, %v; want [x y]", r.vs, r.err)
			}
		},
	}, {
		name: "with nothing in flight",
		script: func(t *testing.T, m *Manager, sc *fakeredis.Conn, pushed <-chan struct{}) {
			sc.Reply(t, push)
			testwait.WaitFor(t, pushed, "the push to reach OnPush") // and not kill the connection
			ping := goDo(testContext(t), m, "PING")
			sc.Expect(t, "PING").Reply(resp.SimpleString("PONG"))
			wantString(t, await(t, ping), "PONG")
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			var mu sync.Mutex
			var got []resp.Value
			pushed := make(chan struct{}, 4) // OnPush must not block the reader
			m := newManager(t, srv, Config{OnPush: func(v resp.Value) {
				mu.Lock()
				got = append(got, v)
				mu.Unlock()
				pushed <- struct{}{}
			}})
			sc := srv.Accept(t)
			tc.script(t, m, sc, pushed)

			// The reader handled the push before the reply that followed
			// it, so OnPush has run by now.
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0].Type() != resp.TypePush || got[0].Len() != 2 {
				t.Errorf("OnPush got %d values, want the one push frame", len(got))
			}
			st := m.Stats()
			if st.Pushes != 1 || st.Completed != 1 || st.Reconnects != 0 || !st.Connected || st.Load != 0 {
				t.Errorf("Stats = %+v, want 1 push, 1 request completed, same connection", st)
			}
		})
	}
}

func TestInvariant10BackpressureIsBounded(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{QueueLen: 1, MaxInFlight: 1})
	sc := srv.Accept(t)
	ctx := testContext(t)

	// A is in flight (the FIFO is full), B is held by the writer waiting
	// for room in the FIFO, C fills the queue.
	calls := []<-chan result{goDo(ctx, m, "ECHO", "A")}
	sc.Expect(t, "ECHO", "A")
	calls = append(calls, goDo(ctx, m, "ECHO", "B"))
	testwait.Eventually(t, "the writer to take B", func() bool { return m.Load() == 2 && m.Stats().Queued == 0 })
	calls = append(calls, goDo(ctx, m, "ECHO", "C"))
	testwait.Eventually(t, "C to fill the queue", func() bool { return m.Stats().Queued == 1 })

	// D finds the queue full: it waits no longer than its context.
	const timeout = 50 * time.Millisecond
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	began := time.Now()
	d := goDo(dctx, m, "ECHO", "D")
	wantErr(t, await(t, d), context.DeadlineExceeded)
	if waited := time.Since(began); waited > timeout+5*time.Second {
		t.Errorf("D waited %v with a %v timeout", waited, timeout)
	}
	st := m.Stats()
	if st.Queued > 1 || st.InFlight > 1 || st.Load != 3 {
		t.Errorf("Stats = %+v, want at most 1 queued, 1 in flight, load 3", st)
	}

	// Release: everything accepted completes, in order; D never went out.
	sc.Reply(t, bulk("A"))
	for _, want := range []string{"B", "C"} {
		sc.Expect(t, "ECHO", want).Reply(bulk(want))
	}
	for i, want := range []string{"A", "B", "C"} {
		wantString(t, await(t, calls[i]), want)
	}
	if st := m.Stats(); st.Load != 0 || st.Written != 3 {
		t.Errorf("Stats = %+v, want 3 written, load 0", st)
	}
}

func TestInvariant13CoordinatedShutdown(t *testing.T) {
	t.Run("in-flight requests complete", func(t *testing.T) {
		srv := newServer(t)
		m := newManager(t, srv, Config{})
		sc := srv.Accept(t)
		ctx := testContext(t)

		a, b := goDo(ctx, m, "ECHO", "a"), goDo(ctx, m, "ECHO", "b")
		held := [][]string{sc.Next(t), sc.Next(t)}
		m.Shutdown(time.Now().Add(waitLimit))
		wantClosedAtOnce(t, m)
		for _, cmd := range held {
			sc.Reply(t, fakeredis.Answer(cmd))
		}
		wantString(t, await(t, a), "a")
		wantString(t, await(t, b), "b")
		testwait.WaitFor(t, m.Done(), "Wait to return")
		checkNoManagerGoroutines(t)
		testwait.WaitFor(t, sc.Done(), "the connection to close")
		wantClosedAtOnce(t, m)
	})

	t.Run("deadline expires without replies", func(t *testing.T) {
		srv := newServer(t)
		m := newManager(t, srv, Config{})
		sc := srv.Accept(t)
		ctx := testContext(t)

		single := goDo(ctx, m, "GET", "k")
		multi := goDoMulti(ctx, m, []string{"GET", "x"}, []string{"GET", "y"})
		for range 3 {
			sc.Next(t) // written, never answered
		}
		deadline := time.Now().Add(100 * time.Millisecond)
		m.Shutdown(deadline)
		for _, ch := range []<-chan result{single, multi} {
			wantErr(t, await(t, ch), ErrClosed)
			if time.Now().Before(deadline) {
				t.Errorf("request failed before the shutdown deadline")
			}
		}
		testwait.WaitFor(t, m.Done(), "Wait to return after the deadline")
		checkNoManagerGoroutines(t)
		if st := m.Stats(); st.Failed != 2 || st.Load != 0 {
			t.Errorf("Stats = %+v, want 2 failed, load 0", st)
		}
	})

	t.Run("requests queued behind a stalled write are written and answered", func(t *testing.T) {
		srv := newServer(t)
		// One request per write, so the writer goes back to choosing
		// between the queue and the shutdown after each one.
		m := newManager(t, srv, Config{MaxBatchBytes: 1})
		sc := srv.Accept(t)
		ctx := testContext(t)

		big := strings.Repeat("x", 256<<10)
		started := srv.ClientWriteStarted(len(big))
		sc.PauseReads()
		calls := []<-chan result{goDo(ctx, m, "SET", "big", big)}
		testwait.WaitFor(t, started, "the writer to block in the large write")
		const queued = 10
		for i := range queued {
			calls = append(calls, goDo(ctx, m, "ECHO", fmt.Sprint(i)))
		}
		// They wait in the queue or in the writer's hands, behind the
		// stalled write (a lone request is written by its caller).
		testwait.Eventually(t, "the requests to be queued", func() bool { return m.Stats().Load == 1+queued })

		m.Shutdown(time.Now().Add(waitLimit))
		wantClosedAtOnce(t, m)
		sc.ResumeReads()
		for range 1 + queued {
			sc.Reply(t, fakeredis.Answer(sc.Next(t)))
		}
		for _, ch := range calls {
			if r := await(t, ch); r.err != nil {
				t.Errorf("queued request got %v, want its reply", r.err)
			}
		}
		testwait.WaitFor(t, m.Done(), "Wait to return")
		checkNoManagerGoroutines(t)
		if st := m.Stats(); st.Written != 1+queued || st.Failed != 0 {
			t.Errorf("Stats = %+v, want all %d written and answered", st, 1+queued)
		}
	})

	t.Run("requests queued behind a full FIFO are written and answered", func(t *testing.T) {
		srv := newServer(t)
		m := newManager(t, srv, Config{MaxInFlight: 1})
		sc := srv.Accept(t)
		ctx := testContext(t)

		// One in flight, held; the writer waits for room in the FIFO
		// with one request, the others wait in the queue.
		calls := []<-chan result{goDo(ctx, m, "ECHO", "0")}
		first := sc.Next(t)
		for i := 1; i < 4; i++ {
			calls = append(calls, goDo(ctx, m, "ECHO", fmt.Sprint(i)))
		}
		testwait.Eventually(t, "two requests queued", func() bool { return m.Load() == 4 && m.Stats().Queued == 2 })

		m.Shutdown(time.Now().Add(waitLimit))
		wantClosedAtOnce(t, m)
		sc.Reply(t, fakeredis.Answer(first))
		for range 3 {
			sc.Reply(t, fakeredis.Answer(sc.Next(t)))
		}
		for _, ch := range calls {
			if r := await(t, ch); r.err != nil {
				t.Errorf("queued request got %v, want its reply", r.err)
			}
		}
		testwait.WaitFor(t, m.Done(), "Wait to return")
		checkNoManagerGoroutines(t)
		if st := m.Stats(); st.Written != 4 || st.Completed != 4 || st.Failed != 0 {
			t.Errorf("Stats = %+v, want all 4 written and answered", st)
		}
	})

	t.Run("idle", func(t *testing.T) {
		srv := newEchoServer(t)
		m := newManager(t, srv, Config{})
		sc := srv.Accept(t)
		m.Shutdown(time.Now().Add(waitLimit))
		m.Shutdown(time.Now()) // later calls do nothing
		testwait.WaitFor(t, m.Done(), "Wait to return")
		checkNoManagerGoroutines(t)
		<-m.Done()
		testwait.WaitFor(t, sc.Done(), "the connection to close")
		wantClosedAtOnce(t, m)
		if m.Connected() {
			t.Errorf("Connected() after shutdown")
		}
	})
}

// wantClosedAtOnce checks that new single and pipelined requests fail with
// ErrClosed without waiting.
func wantClosedAtOnce(t *testing.T, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := m.do(ctx, newCmd("PING")); err != ErrClosed {
		t.Errorf("Do after Shutdown: %v, want ErrClosed", err)
	}
	if _, err := m.doMulti(ctx, newPipeline([]string{"PING"}, []string{"PING"})); err != ErrClosed {
		t.Errorf("DoMulti after Shutdown: %v, want ErrClosed", err)
	}
	if ctx.Err() != nil {
		t.Errorf("calls after Shutdown waited for their context")
	}
}
