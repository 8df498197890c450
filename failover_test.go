package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/chaosproxy"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

// Failover inside the pool: when one manager's connection dies while the
// others are healthy, requests never sent go to a healthy connection at
// once, sent reads are sent once more, sent writes fail with a *ConnError
// saying they may have run, and nobody waits for the redial.

const (
	failoverManagers   = 4
	failoverGoroutines = 64
	// failoverMaxLatency is not a speed target: it tells a call that
	// moved to another connection from one that waited out the 3 s
	// redial, with room for a loaded machine running -race.
	failoverMaxLatency = 1500 * time.Millisecond
)

// failoverClient is a client of failoverManagers managers whose
// connections go through a proxy to a real redis-server.
func failoverClient(t *testing.T, cfg redmux.Config) (*redmux.Client, *chaosproxy.Proxy, *redistest.Server) {
	t.Helper()
	srv := redistest.StartT(t)
	proxy, err := chaosproxy.New(srv.Addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = proxy.Close() })
	cfg.Addr, cfg.Managers = proxy.Addr(), failoverManagers
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, proxy, srv
}

// loadReport is what a load run saw.
type loadReport struct {
	ops, errs  atomic.Int64
	maxLatency atomic.Int64 // nanoseconds
	firstErr   atomic.Pointer[error]
}

func (r *loadReport) record(start time.Time, err error) {
	r.ops.Add(1)
	d := int64(time.Since(start))
	for {
		cur := r.maxLatency.Load()
		if d <= cur || r.maxLatency.CompareAndSwap(cur, d) {
			break
		}
	}
	if err != nil {
		r.errs.Add(1)
		r.firstErr.CompareAndSwap(nil, &err)
	}
}

func (r *loadReport) String() string {
	msg := fmt.Sprintf("%d ops, %d errors, slowest %v", r.ops.Load(), r.errs.Load(), time.Duration(r.maxLatency.Load()))
	if p := r.firstErr.Load(); p != nil {
		msg += fmt.Sprintf(", first error: %v", *p)
	}
	return msg
}

// runLoad runs op from failoverGoroutines goroutines, each at most opsEach
// times, and calls fault once every goroutine has done warmup ops. It
// returns when every goroutine is done.
func runLoad(t *testing.T, opsEach, warmup int, op func(g, i int) error, fault func()) *loadReport {
	t.Helper()
	var report loadReport
	var warm sync.WaitGroup
	warm.Add(failoverGoroutines)
	var wg sync.WaitGroup
	for g := range failoverGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range opsEach {
				if i == warmup {
					warm.Done()
				}
				start := time.Now()
				report.record(start, op(g, i))
			}
		}()
	}
	warm.Wait()
	fault()
	testwait.WaitWithin(t, 2*testTimeout, testwait.Done(&wg), "the load to finish")
	return &report
}

// TestFailoverReadsSurviveAKilledConnection: one of four connections is
// cut under 64 goroutines of GETs. No caller sees an error and no call
// takes over 200 ms: the GETs queued on it go elsewhere, those it had sent
// are sent once more.
func TestFailoverReadsSurviveAKilledConnection(t *testing.T) {
	c, proxy, _ := failoverClient(t, redmux.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	require.NoError(t, c.Set(ctx, "k", []byte("v")))

	report := runLoad(t, 400, 100, func(int, int) error {
		v, found, err := c.Get(ctx, "k")
		if err == nil && (!found || string(v) != "v") {
			err = fmt.Errorf("GET k = %q, %t", v, found)
		}
		return err
	}, func() { require.True(t, proxy.DropOne(), "a connection to cut") })

	t.Log(report)
	assert.Zero(t, report.errs.Load(), "errors: %v", report)
	assert.Less(t, time.Duration(report.maxLatency.Load()), failoverMaxLatency, "slowest call")
	testwait.Eventually(t, "the reconnect", func() bool { return c.Stats().Total().Reconnects == 1 })
	st := c.Stats()
	t.Logf("rerouted %d, retried %d", st.Rerouted, st.Retried)
}

// TestFailoverNobodyWaitsForAHangingRedial: as above, but the redial of the
// cut connection hangs for 3 s. Nobody waits for it.
func TestFailoverNobodyWaitsForAHangingRedial(t *testing.T) {
	c, proxy, _ := failoverClient(t, redmux.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	require.NoError(t, c.Set(ctx, "k", []byte("v")))

	const hang = 3 * time.Second
	var cutAt time.Time
	report := runLoad(t, 600, 100, func(int, int) error {
		_, _, err := c.Get(ctx, "k")
		return err
	}, func() {
		proxy.SetHoldNew(hang)
		cutAt = time.Now()
		require.True(t, proxy.DropOne(), "a connection to cut")
	})
	stillDown := time.Since(cutAt) < hang
	t.Log(report)
	assert.Zero(t, report.errs.Load(), "errors: %v", report)
	assert.Less(t, time.Duration(report.maxLatency.Load()), failoverMaxLatency, "slowest call")
	assert.True(t, stillDown, "the load ended after the redial: it proves nothing")

	proxy.SetHoldNew(0)
	testwait.EventuallyWithin(t, hang+testwait.Limit, "the manager to reconnect once the hang is over", func() bool {
		return c.Stats().Total().Reconnects == 1
	})
}

// TestFailoverWritesNeverRunTwice: one of four connections is cut under 64
// goroutines of INCRs, one key each. Every error is a *ConnError saying the
// command was sent and may have run; every INCR not yet sent succeeds
// elsewhere; no INCR runs twice.
func TestFailoverWritesNeverRunTwice(t *testing.T) {
	c, proxy, srv := failoverClient(t, redmux.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()

	const opsEach = 200
	failed := make([][]bool, failoverGoroutines)
	for g := range failed {
		failed[g] = make([]bool, opsEach)
	}
	key := func(g, i int) string { return "incr:" + strconv.Itoa(g) + ":" + strconv.Itoa(i) }
	report := runLoad(t, opsEach, 50, func(g, i int) error {
		n, err := c.Do(ctx, "INCR", key(g, i))
		if err != nil {
			failed[g][i] = true
			var ce *redmux.ConnError
			if !errors.As(err, &ce) || !ce.Sent || !errors.Is(err, redmux.ErrMaybeExecuted) {
				return fmt.Errorf("INCR failed with %v; want a *ConnError marked sent", err)
			}
			return nil
		}
		if got, _ := n.Int64(); got != 1 {
			return fmt.Errorf("INCR %s = %d: it ran twice", key(g, i), got)
		}
		return nil
	}, func() { require.True(t, proxy.DropOne(), "a connection to cut") })
	t.Log(report)
	require.Zero(t, report.errs.Load(), "unexpected outcomes: %v", report)

	// Count on a connection of our own: no key above 1, and every INCR
	// that succeeded left its 1.
	check, err := redmux.Connect(ctx, srv.Addr)
	require.NoError(t, err)
	defer check.Close()
	maybe := 0
	for g := range failed {
		keys := make([]string, opsEach)
		for i := range keys {
			keys[i] = key(g, i)
		}
		vals, err := check.MGet(ctx, keys...)
		require.NoError(t, err)
		for i, v := range vals {
			switch {
			case string(v) != "1" && v != nil:
				t.Errorf("%s = %q: an INCR ran twice", keys[i], v)
			case !failed[g][i] && v == nil:
				t.Errorf("%s: INCR succeeded but the key is missing", keys[i])
			case failed[g][i]:
				maybe++
			}
		}
	}
	t.Logf("%d INCRs failed as sent-outcome-unknown; rerouted %d", maybe, c.Stats().Rerouted)
}

// TestReadRetryOnlyForReadOnlyRequests: a request lost with its connection
// after it was sent is sent once more only if every command in it is
// read-only and DisableReadRetry is off.
func TestReadRetryOnlyForReadOnlyRequests(t *testing.T) {
	cases := []struct {
		name      string
		disable   bool
		call      func(ctx context.Context, c *redmux.Client) error
		wantRetry bool
	}{
		{"GET", false, func(ctx context.Context, c *redmux.Client) error { _, _, err := c.Get(ctx, "k"); return err }, true},
		{"Do GET", false, func(ctx context.Context, c *redmux.Client) error { _, err := c.Do(ctx, "get", "k"); return err }, true},
		{"read-only pipeline", false, func(ctx context.Context, c *redmux.Client) error {
			_, err := c.Pipeline(ctx, []any{"GET", "k"}, []any{"MGET", "k", "j"})
			return err
		}, true},
		{"GET with DisableReadRetry", true, func(ctx context.Context, c *redmux.Client) error { _, _, err := c.Get(ctx, "k"); return err }, false},
		{"INCR", false, func(ctx context.Context, c *redmux.Client) error { _, err := c.Incr(ctx, "n"); return err }, false},
		{"unknown command", false, func(ctx context.Context, c *redmux.Client) error {
			_, err := c.Do(ctx, "MYMODULE.GET", "k")
			return err
		}, false},
		{"pipeline with a write", false, func(ctx context.Context, c *redmux.Client) error {
			_, err := c.Pipeline(ctx, []any{"GET", "k"}, []any{"SET", "k", "v"})
			return err
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			healthy := healthyServer(t)
			srv := fakeredis.Hostile(t, fakeredis.Misbehavior{Cut: true}, fakeredis.AnswerHandshake()) // reads the request, then hangs up
			route := newHostileRoute(srv.Addr(), healthy.Addr(), 1)
			route.allowRedial()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1, Dial: route.dial, DisableReadRetry: tc.disable})
			require.NoError(t, err)
			defer c.Close()

			err = tc.call(ctx, c)
			if tc.wantRetry {
				require.NoError(t, err)
				assert.EqualValues(t, 1, c.Stats().Retried)
				return
			}
			var ce *redmux.ConnError
			require.ErrorAs(t, err, &ce)
			assert.True(t, ce.Sent)
			assert.ErrorIs(t, err, redmux.ErrMaybeExecuted)
			assert.Contains(t, err.Error(), "may have run")
			assert.Zero(t, c.Stats().Retried)
		})
	}
}
