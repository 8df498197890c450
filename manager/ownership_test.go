package manager

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// A Request checks who owns it: every move out of turn panics, saying
// which, before it can put one request in two callers' hands.

func TestRequestReleasedTwicePanics(t *testing.T) {
	r := newCmd("GET", "k")
	r.Release()
	require.PanicsWithValue(t, "redmux/manager: Release called twice (the Request is already free)", r.Release)

	// Do releases its request: the caller's own Release is the second.
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	r = newCmd("ECHO", "x")
	_, err := m.do(testContext(t), r)
	require.NoError(t, err)
	require.PanicsWithValue(t, "redmux/manager: Release called twice (the Request is already free)", r.Release)
}

// sendInFlight starts Send of a GET on its own goroutine and returns once
// the server has received it: the request is pending. kept receives
// Send's result.
func sendInFlight(t *testing.T, ctx context.Context, m *Manager, sc *fakeredis.Conn) (req *Request, kept <-chan bool) {
	t.Helper()
	req = newCmd("GET", "k")
	ch := make(chan bool, 1)
	go func() { ch <- m.Send(ctx, req) }()
	sc.Expect(t, "GET", "k")
	return req, ch
}

func TestRearmOfPendingRequestPanics(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{})
	sc := srv.Accept(t)
	ctx := testContext(t)

	req, kept := sendInFlight(t, ctx, m, sc)
	require.PanicsWithValue(t, "redmux/manager: Rearm of a Request that is pending", req.Rearm)
	require.PanicsWithValue(t, "redmux/manager: Release of a Request that is pending", req.Release)
	require.PanicsWithValue(t, "redmux/manager: Send of a Request that is pending", func() { m.Send(ctx, req) })

	sc.Reply(t, bulk("v"))
	require.True(t, <-kept)
	replies, err := req.Result()
	require.NoError(t, err)
	require.Equal(t, "v", str(replies[0]))
	// Completed: Rearm makes it idle, and an idle request cannot be
	// rearmed again, only sent or released.
	req.Rearm()
	require.PanicsWithValue(t, "redmux/manager: Rearm of a Request that is idle", req.Rearm)
	req.Release()
	require.PanicsWithValue(t, "redmux/manager: Rearm of a Request that is free", req.Rearm)
}

func TestResultBeforeCompletionPanics(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{})
	sc := srv.Accept(t)
	ctx := testContext(t)

	idle := newCmd("GET", "k")
	require.PanicsWithValue(t, "redmux/manager: Result of a Request that is idle", func() { _, _ = idle.Result() })
	idle.Release()

	req, kept := sendInFlight(t, ctx, m, sc)
	require.PanicsWithValue(t, "redmux/manager: Result of a Request that is pending", func() { _, _ = req.Result() })
	sc.Reply(t, bulk("v"))
	require.True(t, <-kept)
	_, err := req.Result()
	require.NoError(t, err)

	// A completed request is not sent again without Rearm.
	require.PanicsWithValue(t, "redmux/manager: Do of a Request that is completed", func() { _, _ = m.do(ctx, req) })
	require.PanicsWithValue(t, "redmux/manager: DoMulti of a Request that is completed", func() { _, _ = m.doMulti(ctx, req) })
	req.Release()
	require.PanicsWithValue(t, "redmux/manager: Send of a Request that is free", func() { m.Send(ctx, req) })
}

// TestAbandonedRequestRecycledOnce: a caller that leaves while its
// request is in flight abandons it; the reader completes it when the reply
// comes and recycles it, once. Recycling it twice would panic; not at all
// would leave it abandoned.
func TestAbandonedRequestRecycledOnce(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{StallTimeout: -1}) // no PING takes the request from the pool
	sc := srv.Accept(t)

	ctx, cancel := context.WithCancel(testContext(t))
	req, kept := sendInFlight(t, ctx, m, sc)
	cancel()
	require.False(t, <-kept, "Send kept a request whose caller left while it was in flight")
	require.PanicsWithValue(t, "redmux/manager: Release of a Request that is abandoned", req.Release)
	require.Equal(t, stateAbandoned, req.state.load())

	sc.Reply(t, bulk("dropped"))
	testwait.Eventually(t, "the reader to recycle the abandoned request", func() bool {
		return req.state.load() == stateFree
	})
	// The connection stayed in step: the next caller gets its own reply.
	next := goDo(testContext(t), m, "GET", "next")
	sc.Expect(t, "GET", "next")
	sc.Reply(t, bulk("mine"))
	wantString(t, await(t, next), "mine")
	if st := m.Stats(); st.Completed != 2 || st.Load != 0 {
		t.Errorf("Stats = %+v; want 2 completed, load 0", st)
	}
}

// TestCompletionRacesAbandon runs the race the state machine settles by
// compare-and-swap, many times: the reader completing a request while its
// caller gives up. Exactly one side ends up owning it, and it is released
// or recycled exactly once (twice would panic; never would leave it out of
// the free state). Run it with -race.
func TestCompletionRacesAbandon(t *testing.T) {
	var callerKept, recycled int
	for range 2000 {
		r := newCmd("GET", "k")
		r.send("Send")
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // the reader
			defer wg.Done()
			r.addReply(bulk("v"))
			r.complete(nil)
		}()
		kept := false
		go func() { // the caller, whose context just ended
			defer wg.Done()
			if r.abandon() {
				return
			}
			<-r.done
			replies, err := r.Result()
			if err != nil || str(replies[0]) != "v" {
				t.Errorf("caller got %v, %v", replies, err)
			}
			kept = true
			r.Release()
		}()
		wg.Wait()
		if kept {
			callerKept++
		} else {
			recycled++
		}
		if s := r.state.load(); s != stateFree {
			t.Fatalf("after the race the request is %v, want free", s)
		}
	}
	t.Logf("caller kept the result %d times, the reader recycled it %d times", callerKept, recycled)
}

// TestSingleReplyDoesNotAllocate: a request's one reply lives in the
// request itself, and a pipeline's replies in a buffer the request keeps.
func TestSingleReplyDoesNotAllocate(t *testing.T) {
	v := bulk("value")
	roundTrip := func(r *Request) {
		r.send("Send")
		for range r.Replies {
			r.addReply(v)
		}
		r.complete(nil)
		<-r.done
		replies, err := r.Result()
		if err != nil || len(replies) != r.Replies {
			t.Fatalf("Result: %d replies, %v; want %d", len(replies), err, r.Replies)
		}
		r.Rearm()
	}

	single := newCmd("GET", "k")
	defer single.Release()
	if n := testing.AllocsPerRun(100, func() { roundTrip(single) }); n != 0 {
		t.Errorf("a single reply: %v allocations per request, want 0", n)
	}

	pipeline := newPipeline([]string{"GET", "a"}, []string{"GET", "b"}, []string{"GET", "c"})
	defer pipeline.Release()
	roundTrip(pipeline) // the first one allocates the reply buffer
	if n := testing.AllocsPerRun(100, func() { roundTrip(pipeline) }); n != 0 {
		t.Errorf("a reused pipeline request: %v allocations, want 0", n)
	}
}

// TestResultIsEmptyOnError: a pipeline cut short by its connection returns
// the error and none of the replies that had arrived.
func TestResultIsEmptyOnError(t *testing.T) {
	r := newPipeline([]string{"GET", "a"}, []string{"GET", "b"})
	r.send("Send")
	r.addReply(bulk("a"))
	r.complete(ErrClosed)
	<-r.done
	replies, err := r.Result()
	require.ErrorIs(t, err, ErrClosed)
	require.Empty(t, replies)
	r.Release()
	var zero resp.Value
	require.Equal(t, zero, r.one[0], "a released request keeps a reply alive")
}
