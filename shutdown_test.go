package redmux_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

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
