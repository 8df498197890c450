package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// The tests in this file take every manager of a pool down and check how a
// request waits for one to come back (pickConnected): until a reconnect,
// ReconnectWait, or the end of its context, whichever is first.

// reconnectTestLimit is the ReconnectWait of tests in which the server comes
// back, or a context ends, long before it.
const reconnectTestLimit = testwait.Limit

// errServerDown is what a gated dial returns while the server is "down".
var errServerDown = errors.New("server down for the test")

// gate refuses the dials of a fake server while the server is "down".
type gate struct {
	up      atomic.Bool
	refused atomic.Int64 // dials refused so far
}

func (g *gate) hook(context.Context, int) error {
	if !g.up.Load() {
		g.refused.Add(1)
		return errServerDown
	}
	return nil
}

// downPool starts a pool of managers on a server answering +PONG behind a
// gate, then takes the server down: every connection drops and every
// redial is refused. It returns once no manager is connected and each has
// had time for more than one refused redial.
func downPool(t *testing.T, managers int, reconnectWait time.Duration) (*Pool, *gate) {
	t.Helper()
	srv := fakeredis.Pong(t)
	g := &gate{}
	g.up.Store(true)
	srv.SetDialHook(g.hook)
	ctx, cancel := context.WithTimeout(context.Background(), reconnectTestLimit)
	defer cancel()
	p, err := New(ctx, testConfig(Config{
		Managers:        managers,
		ReconnectWait:   reconnectWait,
		ShutdownTimeout: time.Second,
		Manager: manager.Config{
			Addr:       srv.Addr(),
			Dial:       srv.Dial,
			BackoffMin: 5 * time.Millisecond,
			BackoffMax: 20 * time.Millisecond,
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Release()
		for _, m := range p.all() {
			select {
			case <-m.Done():
			default:
				t.Error("a manager is still running after the last Release")
			}
		}
	})
	if _, err := p.Do(ctx, pingRequest()); err != nil {
		t.Fatalf("PING before the outage: %v", err)
	}

	g.up.Store(false)
	srv.CloseConns()
	testwait.Eventually(t, "every manager to lose its connection", func() bool {
		for _, m := range p.all() {
			if m.Connected() {
				return false
			}
		}
		return true
	})
	refusedAtLeast(t, g, 2*int64(managers))
	return p, g
}

// refusedAtLeast waits until the gate has refused n dials in all.
func refusedAtLeast(t *testing.T, g *gate, n int64) {
	t.Helper()
	testwait.Eventually(t, "refused redials", func() bool { return g.refused.Load() >= n })
}

func pingRequest() *manager.Request {
	req := manager.NewRequest()
	req.Cmd = resp.AppendCommandStrings(req.Cmd, "PING")
	return req
}

type doResult struct {
	v    resp.Value
	err  error
	done time.Time
}

// goPing runs p.Do(PING) on its own goroutine.
func goPing(ctx context.Context, p *Pool) <-chan doResult {
	ch := make(chan doResult, 1)
	req := pingRequest()
	go func() {
		v, err := p.Do(ctx, req)
		ch <- doResult{v: v, err: err, done: time.Now()}
	}()
	return ch
}

func awaitDo(t *testing.T, ch <-chan doResult) doResult {
	t.Helper()
	return testwait.WaitFor(t, ch, "Do to return")
}

// TestNoManagerUpWaitsForReconnect: with every manager down, a request
// waits; when the server comes back within ReconnectWait, a manager
// reconnects and the request succeeds on it.
func TestNoManagerUpWaitsForReconnect(t *testing.T) {
	p, g := downPool(t, 2, reconnectTestLimit)
	call := goPing(context.Background(), p)
	// Let the managers fail a few more redials while the request waits.
	refusedAtLeast(t, g, g.refused.Load()+4)
	select {
	case r := <-call:
		t.Fatalf("request returned %v while every manager was down; want it to wait", r.err)
	default:
	}

	back := time.Now()
	g.up.Store(true)
	r := awaitDo(t, call)
	if r.err != nil {
		t.Fatalf("request got %v, want PONG after the reconnect", r.err)
	}
	if s, _ := r.v.Text(); s != "PONG" {
		t.Fatalf("request got %q, want PONG", s)
	}
	if r.done.Before(back) {
		t.Errorf("request returned before the server came back")
	}
	var reconnects uint64
	for _, m := range p.all() {
		reconnects += m.Stats().Reconnects
	}
	if reconnects == 0 {
		t.Errorf("no manager counts a reconnect")
	}
}

// TestNoManagerUpFailsAfterReconnectWait: with the server staying down, a
// request fails with a *manager.ConnError carrying the latest dial failure
// once ReconnectWait has passed: not before, and not much after.
func TestNoManagerUpFailsAfterReconnectWait(t *testing.T) {
	const reconnectWait = 300 * time.Millisecond
	p, _ := downPool(t, 2, reconnectWait)
	start := time.Now()
	r := awaitDo(t, goPing(context.Background(), p))
	elapsed := r.done.Sub(start)

	var ce *manager.ConnError
	if !errors.As(r.err, &ce) {
		t.Fatalf("got %v (%T), want a *manager.ConnError", r.err, r.err)
	}
	if ce.Op != "dial" || ce.Cmd != "PING" || !errors.Is(r.err, errServerDown) {
		t.Errorf("ConnError{Op: %q, Cmd: %q} caused by %v; want a dial error naming PING caused by the refusal", ce.Op, ce.Cmd, ce.Err)
	}
	if elapsed < reconnectWait {
		t.Errorf("failed after %v, before ReconnectWait (%v)", elapsed, reconnectWait)
	}
	if elapsed > reconnectWait+time.Second {
		t.Errorf("failed after %v, long after ReconnectWait (%v)", elapsed, reconnectWait)
	}
}

// TestNoManagerUpContextEndsWaitFirst: a request waiting for a reconnect
// returns its context's error, unchanged, when the context ends before
// ReconnectWait.
func TestNoManagerUpContextEndsWaitFirst(t *testing.T) {
	p, g := downPool(t, 2, reconnectTestLimit)

	t.Run("deadline", func(t *testing.T) {
		const timeout = 50 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		r := awaitDo(t, goPing(ctx, p))
		if r.err != context.DeadlineExceeded {
			t.Fatalf("got %v, want exactly context.DeadlineExceeded", r.err)
		}
		if elapsed := r.done.Sub(start); elapsed < timeout || elapsed > timeout+time.Second {
			t.Errorf("returned after %v, want soon after the %v deadline", elapsed, timeout)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		call := goPing(ctx, p)
		refusedAtLeast(t, g, g.refused.Load()+2)
		cancel()
		if r := awaitDo(t, call); r.err != context.Canceled {
			t.Fatalf("got %v, want exactly context.Canceled", r.err)
		}
	})
	t.Run("already done", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if r := awaitDo(t, goPing(ctx, p)); r.err != context.Canceled {
			t.Fatalf("got %v, want exactly context.Canceled", r.err)
		}
	})
}
