package redmux_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

// Closing handles and the shutdown of the last one.

// TestShutdownInFlightCommandsCompleteOrGetErrClosed closes every handle
// while goroutines are sending through them with contexts that never end:
// every call either succeeds or returns ErrClosed, none hangs, and the last
// Close returns with no goroutine of the library left.
func TestShutdownInFlightCommandsCompleteOrGetErrClosed(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	root, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 2})
	require.NoError(t, err)

	const workers = 64
	handles := make([]*redmux.Client, workers)
	warm := make(chan struct{}, workers)
	results := make(chan error, workers)
	var wg sync.WaitGroup
	for i := range handles {
		handles[i] = root.Clone()
		wg.Add(1)
		go func(h *redmux.Client) {
			defer wg.Done()
			results <- setUntilClosed(h, warm)
		}(handles[i])
	}
	require.NoError(t, root.Close()) // the clones keep the managers alive
	for range workers {
		<-warm // every worker has traffic going
	}
	for _, h := range handles { // the last of these shuts everything down
		require.NoError(t, h.Close())
	}
	testwait.WaitFor(t, testwait.Done(&wg), "every worker to return")
	close(results)
	for err := range results {
		assert.NoError(t, err)
	}
}

// setUntilClosed sends SETs until its handle is closed. It reports any
// error other than ErrClosed.
func setUntilClosed(h *redmux.Client, warm chan<- struct{}) error {
	for i := 0; ; i++ {
		err := h.Set(context.Background(), "k", []byte("v"))
		switch {
		case errors.Is(err, redmux.ErrClosed):
			return nil
		case err != nil:
			return err
		case i == 10:
			warm <- struct{}{}
		}
	}
}

// TestShutdownTimeoutFailsUnansweredWithErrClosed: a server that never
// answers cannot hold Close hostage. Close returns after ShutdownTimeout,
// and every pending call gets ErrClosed.
func TestShutdownTimeoutFailsUnansweredWithErrClosed(t *testing.T) {
	addr := fakeredis.Silent(t, fakeredis.AnswerHandshake()).Addr()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	const shutdownTimeout = 100 * time.Millisecond
	c, err := redmux.New(ctx, redmux.Config{Addr: addr, Managers: 1, ShutdownTimeout: shutdownTimeout})
	require.NoError(t, err)

	const callers = 10
	errs := make(chan error, callers)
	for range callers {
		go func() {
			_, _, err := c.Get(context.Background(), "k")
			errs <- err
		}()
	}
	testwait.Eventually(t, "the requests to be written", func() bool { return c.Stats().Total().InFlight == callers })

	start := time.Now()
	require.NoError(t, c.Close())
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, shutdownTimeout/2, "Close waited for replies")
	assert.Less(t, elapsed, 5*time.Second, "Close gave up after ShutdownTimeout")
	for range callers {
		assert.ErrorIs(t, testwait.WaitFor(t, errs, "every pending call to return"), redmux.ErrClosed)
	}
}

// TestShutdownCloseOfOneCloneDoesNotDisturbOthers closes clones one by one;
// the remaining ones keep working until the last is closed.
func TestShutdownCloseOfOneCloneDoesNotDisturbOthers(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr})
	require.NoError(t, err)
	handles := []*redmux.Client{c, c.Clone(), c.Clone(), c.Clone()}
	for i, h := range handles {
		for _, other := range handles[i:] {
			require.NoError(t, other.Ping(ctx), "handle still open")
		}
		require.NoError(t, h.Close())
		assert.ErrorIs(t, h.Ping(ctx), redmux.ErrClosed)
	}
	assert.False(t, c.Stats().Total().Connected, "the last close closed the connections")
}

// TestShutdownCloneAndCloseRaceWithTraffic clones and closes handles from
// many goroutines while they send: a clone either works or, if it lost the
// race with the last Close, is already closed. Nothing hangs.
func TestShutdownCloneAndCloseRaceWithTraffic(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	root, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr})
	require.NoError(t, err)

	var wg sync.WaitGroup
	bad := make(chan error, 32)
	for range 32 {
		h := root.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				next := h.Clone()
				h.Close()
				h = next
				if err := h.Ping(ctx); err != nil && !errors.Is(err, redmux.ErrClosed) {
					bad <- err
					break
				}
			}
			h.Close()
		}()
	}
	require.NoError(t, root.Close())
	testwait.WaitWithin(t, 20*time.Second, testwait.Done(&wg), "every goroutine to return")
	close(bad)
	for err := range bad {
		t.Error(err)
	}
}

// TestConcurrentCloseWaitsForShutdown: every Close of the last handle
// returns only after the shutdown is over. Of two goroutines closing it,
// one used to return at once while the other was still shutting down.
func TestConcurrentCloseWaitsForShutdown(t *testing.T) {
	addr := fakeredis.Silent(t, fakeredis.AnswerHandshake()).Addr()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	const shutdownTimeout = 300 * time.Millisecond
	c, err := redmux.New(ctx, redmux.Config{Addr: addr, Managers: 1, ShutdownTimeout: shutdownTimeout})
	require.NoError(t, err)
	pending := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), "k") // never answered: shutdown waits for it
		pending <- err
	}()
	testwait.Eventually(t, "the Get to be in flight", func() bool { return c.Stats().Total().InFlight == 1 })

	start := time.Now()
	var wg sync.WaitGroup
	elapsed := make([]time.Duration, 2)
	for i := range elapsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close()
			elapsed[i] = time.Since(start)
		}()
	}
	testwait.WaitFor(t, testwait.Done(&wg), "both Close calls to return")
	for i, d := range elapsed {
		assert.GreaterOrEqual(t, d, shutdownTimeout*9/10, "Close %d returned before the shutdown was over", i)
	}
	assert.ErrorIs(t, <-pending, redmux.ErrClosed)
}

func TestClosedHandleReturnsErrClosed(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		clone := c.Clone()
		require.NoError(t, clone.Close())
		require.NoError(t, clone.Close(), "Close is idempotent")
		_, _, err := clone.Get(ctx, "k")
		assert.ErrorIs(t, err, redmux.ErrClosed)
		assert.ErrorIs(t, clone.Set(ctx, "k", nil), redmux.ErrClosed)
		// Closing one clone does not disturb the others.
		require.NoError(t, c.Set(ctx, "k", []byte("still works")))
		again := clone.Clone()
		_, err = again.Do(ctx, "PING")
		assert.ErrorIs(t, err, redmux.ErrClosed, "a clone of a closed handle is closed")
		require.NoError(t, again.Close())
	})
}

// TestClosedHandleErrorsAreErrClosedEverywhere: after Close every call
// returns ErrClosed. An empty Pipeline used to return nil, and Do("MULTI")
// or a pipeline holding BLPOP returned ErrNeedsDedicated.
func TestClosedHandleErrorsAreErrClosedEverywhere(t *testing.T) {
	mini := miniredis.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: 1})
	require.NoError(t, err)
	require.NoError(t, c.Close())

	_, err = c.Pipeline(ctx)
	assert.ErrorIs(t, err, redmux.ErrClosed, "empty pipeline")
	_, err = c.Do(ctx, "MULTI")
	assert.ErrorIs(t, err, redmux.ErrClosed, "MULTI")
	_, err = c.Pipeline(ctx, []any{"BLPOP", "q", 1})
	assert.ErrorIs(t, err, redmux.ErrClosed, "pipeline with BLPOP")
	_, err = c.Do(ctx, "BLPOP", "q", 1)
	assert.ErrorIs(t, err, redmux.ErrClosed, "BLPOP")
	assert.ErrorIs(t, c.Dedicated(ctx, func(*redmux.DedicatedConn) error { return nil }), redmux.ErrClosed)
}

// TestShutdownFailsDedicatedDialWithErrClosed: a blocking Do whose
// dedicated connection is being dialed when the last handle closes gets
// ErrClosed. It used to get a *ConnError wrapping context.Canceled, though
// its own context was live.
func TestShutdownFailsDedicatedDialWithErrClosed(t *testing.T) {
	mini := miniredis.RunT(t)
	const managers = 2
	var dials atomic.Int32
	dialing := make(chan struct{})
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) > managers { // the dedicated connection: hangs until cancelled
			close(dialing)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: managers, Dial: dial})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, "BLPOP", "q", 0)
		done <- err
	}()
	testwait.WaitFor(t, dialing, "the dedicated dial to start")
	require.NoError(t, c.Close())
	err = testwait.WaitFor(t, done, "the blocking Do to return")
	assert.ErrorIs(t, err, redmux.ErrClosed)
	var ce *redmux.ConnError
	assert.False(t, errors.As(err, &ce), "a *ConnError (%v) although shutdown caused the failure", err)
}

// TestShutdownInterruptsBlockingDoWithErrClosed: a blocking command in
// progress on a dedicated connection when the last handle closes returns
// ErrClosed.
func TestShutdownInterruptsBlockingDoWithErrClosed(t *testing.T) {
	srv := fakeredis.Silent(t, fakeredis.AnswerHandshake()) // never answers BLPOP
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, "BLPOP", "q", 0)
		done <- err
	}()
	waitUntilBlockedIn(t, "manager.(*Conn).Do")
	require.NoError(t, c.Close())
	assert.ErrorIs(t, testwait.WaitFor(t, done, "the blocking Do to return"), redmux.ErrClosed)
}

// TestShutdownReleasesDedicatedWaiters: a caller waiting for a dedicated
// connection (all MaxDedicated lent) gets ErrClosed when the last handle
// closes. It used to stay blocked until the lease came back, and deadlock
// if the lease holder waited for it.
func TestShutdownReleasesDedicatedWaiters(t *testing.T) {
	mini := miniredis.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: 1, MaxDedicated: 1})
	require.NoError(t, err)

	holding := make(chan struct{})
	waiterDone := make(chan error, 1)
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- c.Dedicated(ctx, func(*redmux.DedicatedConn) error {
			close(holding)
			return <-waiterDone // the holder waits on the waiter
		})
	}()
	testwait.WaitFor(t, holding, "the lease to be taken")
	var waiterErr error
	waiterReturned := make(chan struct{})
	go func() {
		defer close(waiterReturned)
		_, waiterErr = c.Do(ctx, "BLPOP", "q", 0)
		waiterDone <- waiterErr
	}()
	waitUntilBlockedIn(t, "puddle")
	require.NoError(t, c.Close())
	testwait.WaitFor(t, waiterReturned, "the waiter to be released by Close")
	assert.ErrorIs(t, waiterErr, redmux.ErrClosed)
	assert.ErrorIs(t, testwait.WaitFor(t, holderDone, "the lease holder to return"), redmux.ErrClosed)
}
