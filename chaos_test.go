package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/chaosproxy"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/manager"
)

// The chaos suite runs a real redis-server behind a fault-injecting proxy
// and drives it from many goroutines. `make test` runs the short form;
// `make chaos` sets REDMUX_CHAOS_DURATION for the long one.
const (
	chaosWorkers       = 200
	chaosShortFaults   = 3 * time.Second
	chaosFaultInterval = 150 * time.Millisecond
	chaosRecoverWithin = 2 * time.Second
	chaosOpTimeout     = 2 * time.Second
)

func chaosDuration(t *testing.T) time.Duration {
	if s := os.Getenv("REDMUX_CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, "REDMUX_CHAOS_DURATION")
		return d
	}
	return chaosShortFaults
}

// TestChaosNoMismatchUnderFaults: random drops, delays, fragmentation,
// blackholes and refusals for a fixed time, then a SIGKILL and restart of
// the server on the same port. Every successful GET returns exactly a value
// its own goroutine may have stored, every failure is a typed error, every
// goroutine finishes, and once faults stop every goroutine succeeds again
// within 2 s, without recreating the client.
func TestChaosNoMismatchUnderFaults(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), goleak.IgnoreAnyFunction(redistest.ProcessWaiter))
	proxy, err := chaosproxy.New(srv.Addr)
	require.NoError(t, err)
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), chaosDuration(t)+2*time.Minute)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{
		Addr: proxy.Addr(), Managers: 4,
		StallTimeout: 80 * time.Millisecond, PingTimeout: 40 * time.Millisecond, // blackholes last up to 200ms
		ReconnectWait: time.Second, BackoffMin: 5 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		ShutdownTimeout: time.Second,
	})
	require.NoError(t, err)
	defer c.Close()

	run := newChaosRun(c)
	run.start(ctx, chaosWorkers)

	faultsCtx, stopFaults := context.WithTimeout(ctx, chaosDuration(t))
	applied := proxy.RandomFaults(faultsCtx, rand.New(rand.NewPCG(7, 11)), chaosFaultInterval)
	stopFaults()
	proxy.Reset()
	run.recovered(t, "random faults")

	run.serverLost()
	srv.Kill()
	restartCtx, cancelRestart := context.WithTimeout(ctx, 10*time.Second)
	require.NoError(t, srv.Restart(restartCtx))
	cancelRestart()
	run.serverBack()
	run.recovered(t, "SIGKILL and restart")

	run.stop(t)
	run.report(t, len(applied))
	assert.Zero(t, run.mismatches.Load(), "a GET returned a value its goroutine never wrote")
	assert.Zero(t, run.untyped.Load(), "errors that are not ConnError, context or server errors")
}

// chaosRun is the shared state of one chaos run.
type chaosRun struct {
	client *redmux.Client
	wg     sync.WaitGroup
	stopCh chan struct{}

	// epoch is odd while the server may lose data (between serverLost
	// and serverBack); a SET is durable only if the epoch was even and
	// unchanged from its start to the GET that checks it.
	epoch atomic.Int64

	ops, successes, mismatches, untyped atomic.Int64
	connErrs, ctxErrs, redisErrs        atomic.Int64
	firstMismatch                       atomic.Value
	workerOK                            []atomic.Int64 // last success time per worker, unix nanos
	recoveries                          []string       // "after X: Y"
}

func newChaosRun(c *redmux.Client) *chaosRun {
	return &chaosRun{client: c, stopCh: make(chan struct{})}
}

func (r *chaosRun) start(ctx context.Context, workers int) {
	r.workerOK = make([]atomic.Int64, workers)
	for w := range workers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			h := r.client.Clone()
			defer h.Close()
			r.worker(ctx, h, w)
		}()
	}
}

func (r *chaosRun) serverLost() { r.epoch.Add(1) }
func (r *chaosRun) serverBack() { r.epoch.Add(1) }

// recovered waits until every worker has succeeded after now, failing the
// test if that takes longer than chaosRecoverWithin.
func (r *chaosRun) recovered(t *testing.T, after string) {
	t.Helper()
	since := time.Now()
	testwait.EventuallyWithin(t, chaosRecoverWithin, "every goroutine to succeed after "+after, func() bool {
		for i := range r.workerOK {
			if r.workerOK[i].Load() < since.UnixNano() {
				return false
			}
		}
		return true
	})
	r.recoveries = append(r.recoveries, fmt.Sprintf("%v after %s", time.Since(since).Round(time.Millisecond), after))
}

func (r *chaosRun) stop(t *testing.T) {
	t.Helper()
	close(r.stopCh)
	testwait.WaitWithin(t, 30*time.Second, testwait.Done(&r.wg), "the chaos workers to stop")
}

func (r *chaosRun) worker(ctx context.Context, h *redmux.Client, w int) {
	rng := rand.New(rand.NewPCG(uint64(w), 99))
	key := &chaosKey{ownedKey: ownedKey{name: fmt.Sprintf("chaos:%d", w)}}
	for i := 0; ; i++ {
		select {
		case <-r.stopCh:
			return
		default:
		}
		opCtx, cancel := context.WithTimeout(ctx, chaosOpTimeout)
		var err error
		if i%2 == 0 {
			err = r.set(opCtx, h, key, i, rng)
		} else {
			err = r.get(opCtx, h, key)
		}
		cancel()
		r.ops.Add(1)
		if err == nil {
			r.successes.Add(1)
			r.workerOK[w].Store(time.Now().UnixNano())
		} else {
			r.classify(err)
		}
	}
}

// chaosKey extends the stress test's model with server restarts: values
// confirmed in an earlier epoch may have vanished.
type chaosKey struct {
	ownedKey
	epoch int64 // epoch of the last confirmed SET
}

func (r *chaosRun) set(ctx context.Context, h *redmux.Client, key *chaosKey, i int, rng *rand.Rand) error {
	value := []byte(fmt.Sprintf("%s|op%d|%x", key.name, i, rng.Uint64()))
	before := r.epoch.Load()
	err := h.Set(ctx, key.name, value)
	if err != nil {
		key.maybe(value) // it may still have been applied, now or later
		return err
	}
	key.confirmed(value)
	key.epoch = before
	if r.epoch.Load() != before || before%2 == 1 {
		key.epoch = -1 // confirmed while the server was being replaced
	}
	return nil
}

func (r *chaosRun) get(ctx context.Context, h *redmux.Client, key *chaosKey) error {
	got, found, err := h.Get(ctx, key.name)
	if err != nil {
		return err
	}
	durable := key.epoch >= 0 && key.epoch == r.epoch.Load()
	if !found && !durable {
		return nil // the restart lost it
	}
	if err := key.check(got, found); err != nil {
		r.mismatches.Add(1)
		r.firstMismatch.CompareAndSwap(nil, err.Error())
	}
	return nil
}

func (r *chaosRun) classify(err error) {
	var connErr *redmux.ConnError
	var redisErr *redmux.RedisError
	switch {
	case errors.As(err, &connErr):
		r.connErrs.Add(1)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		r.ctxErrs.Add(1)
	case errors.As(err, &redisErr):
		r.redisErrs.Add(1) // e.g. LOADING right after a restart
	default:
		r.untyped.Add(1)
		r.firstMismatch.CompareAndSwap(nil, "untyped error: "+err.Error())
	}
}

func (r *chaosRun) report(t *testing.T, faults int) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nchaos report (%d workers, %d faults applied, then SIGKILL and restart)\n", len(r.workerOK), faults)
	fmt.Fprintf(&b, "| ops | successes | conn errors | context errors | server errors | untyped | mismatches | time to recover |\n")
	fmt.Fprintf(&b, "|---:|---:|---:|---:|---:|---:|---:|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %s |\n", r.ops.Load(), r.successes.Load(),
		r.connErrs.Load(), r.ctxErrs.Load(), r.redisErrs.Load(), r.untyped.Load(), r.mismatches.Load(),
		strings.Join(r.recoveries, "; "))
	if first, ok := r.firstMismatch.Load().(string); ok {
		fmt.Fprintf(&b, "first problem: %s\n", first)
	}
	st := r.client.Stats().Total()
	fmt.Fprintf(&b, "client: reconnects %d, stalls detected %d, failed %d, dropped %d, avg batch %.1f\n",
		st.Reconnects, st.Stalls, st.Failed, st.Dropped, st.AvgBatch())
	t.Log(b.String())
}

// TestChaosBlackholeIsDetectedAsStall: a network that silently stops
// delivering (the proxy holds all traffic) is noticed by stall detection,
// not by the callers' timeouts: pending calls fail with ErrStalled inside a
// *ConnError, and once traffic flows again the client recovers by itself.
func TestChaosBlackholeIsDetectedAsStall(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	proxy, err := chaosproxy.New(srv.Addr)
	require.NoError(t, err)
	defer proxy.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{
		Addr: proxy.Addr(), Managers: 1,
		StallTimeout: 100 * time.Millisecond, PingTimeout: 50 * time.Millisecond,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond, ShutdownTimeout: 100 * time.Millisecond,
		DisableReadRetry: true, // the GET must show the stall, not be retried past it
	})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", []byte("v")))

	proxy.SetBlackhole(true)
	start := time.Now()
	_, _, err = c.Get(ctx, "k") // no deadline of its own but the test's
	stalledAfter := time.Since(start)
	proxy.SetBlackhole(false)
	proxy.DropAll() // the held connection is dead to the client already

	var cerr *redmux.ConnError
	require.ErrorAs(t, err, &cerr)
	assert.ErrorIs(t, err, manager.ErrStalled)
	assert.Less(t, stalledAfter, 5*time.Second, "stall detection took too long")
	assert.GreaterOrEqual(t, c.Stats().Total().Stalls, uint64(1))

	testwait.EventuallyWithin(t, 5*time.Second, "the client to recover without being recreated", func() bool {
		got, found, err := c.Get(ctx, "k")
		return err == nil && found && string(got) == "v"
	})
}
