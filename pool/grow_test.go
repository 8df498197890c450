package pool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/manager"
)

// newGrowingPool starts a pool of base managers that may grow to max, on a
// server that never answers (so load put on a manager stays).
func newGrowingPool(t *testing.T, base, max int) (*Pool, *fakeredis.Server) {
	t.Helper()
	srv := fakeredis.Silent(t)
	cfg := Config{Managers: base, MaxManagers: max, Manager: manager.Config{Addr: srv.Addr(), Dial: srv.Dial}, ShutdownTimeout: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Limit)
	defer cancel()
	p, err := New(ctx, testConfig(cfg))
	require.NoError(t, err)
	t.Cleanup(func() {
		if p.refs.Load() > 0 {
			p.Release()
		}
	})
	return p, srv
}

func waitManagers(t *testing.T, p *Pool, n int) {
	t.Helper()
	testwait.Eventually(t, "the pool to have its grown managers", func() bool { return len(p.all()) == n })
}

// TestGrowthOpensAManagerWhenEveryBaseManagerIsBusy: with the base
// managers busy and few requests outstanding, the pool opens one more
// manager in the background (the request itself stays on a base manager),
// and the next request finds it idle and takes it.
func TestGrowthOpensAManagerWhenEveryBaseManagerIsBusy(t *testing.T) {
	p, srv := newGrowingPool(t, 2, 4)
	base := p.all()
	load(t, base[0])
	load(t, base[1])

	got := p.pick()
	require.Contains(t, base, got, "the request that found every base manager busy left the base managers")
	waitManagers(t, p, 3)
	require.Equal(t, 3, srv.Dials(), "one manager grown")
	grown := p.all()[2]
	require.Same(t, grown, p.pick(), "an idle grown manager was not picked while the base managers were busy")
}

// TestNoGrowthWhileABaseManagerIsIdle: an idle base manager takes the
// request, and nothing is dialed.
func TestNoGrowthWhileABaseManagerIsIdle(t *testing.T) {
	p, srv := newGrowingPool(t, 2, 4)
	base := p.all()
	load(t, base[0])
	for range 10 {
		require.Same(t, base[1], p.pick())
	}
	require.False(t, p.growth.running.Load(), "a dial started while a base manager was idle")
	require.Equal(t, 2, srv.Dials())
}

// TestGrownManagerBusyLeavesRequestsOnTheBaseManagers: with every manager
// busy and the pool at MaxManagers, requests go to the least-loaded base
// manager, never to a grown one.
func TestGrownManagerBusyLeavesRequestsOnTheBaseManagers(t *testing.T) {
	p, _ := newGrowingPool(t, 2, 3)
	base := p.all()
	load(t, base[0])
	load(t, base[1])
	p.pick()
	waitManagers(t, p, 3)
	load(t, p.all()[2])
	load(t, base[0])
	for range 10 {
		require.Same(t, base[1], p.pick())
	}
}

// TestNoGrowthWhenManyRequestsAreOutstanding: once MaxManagers requests are
// outstanding, requests batch on the base managers and nothing is dialed.
func TestNoGrowthWhenManyRequestsAreOutstanding(t *testing.T) {
	p, srv := newGrowingPool(t, 2, 4)
	base := p.all()
	for range 2 {
		load(t, base[0])
		load(t, base[1])
	}
	for range 10 {
		require.Contains(t, base, p.pick())
	}
	require.False(t, p.growth.running.Load(), "a dial started with MaxManagers requests outstanding")
	require.Equal(t, 2, srv.Dials())
}

// TestGrowthStopsAtMaxManagers: the pool never runs more than MaxManagers
// managers.
func TestGrowthStopsAtMaxManagers(t *testing.T) {
	p, srv := newGrowingPool(t, 1, 3)
	load(t, p.all()[0])
	p.pick()
	waitManagers(t, p, 2)
	load(t, p.all()[1])
	p.pick()
	waitManagers(t, p, 3)
	load(t, p.all()[2])
	for range 10 {
		p.pick()
	}
	require.False(t, p.growth.running.Load(), "a dial started at MaxManagers")
	require.Equal(t, 3, srv.Dials())
	require.Len(t, p.ManagerStats(), 3)
}

// TestFixedPoolNeverGrows: MaxManagers at or below Managers keeps the pool
// at Managers.
func TestFixedPoolNeverGrows(t *testing.T) {
	p, srv := newGrowingPool(t, 2, 0)
	base := p.all()
	load(t, base[0])
	load(t, base[1])
	for range 10 {
		require.Contains(t, base, p.pick())
	}
	require.False(t, p.growth.running.Load())
	require.Equal(t, 2, srv.Dials())
}

// TestFailedGrowthDialWaitsBeforeTryingAgain: a grown manager that cannot
// connect is not dialed again by the next request, only after
// growRetryAfter.
func TestFailedGrowthDialWaitsBeforeTryingAgain(t *testing.T) {
	p, srv := newGrowingPool(t, 1, 4)
	srv.SetDialHook(func(context.Context, int) error { return errors.New("refused for the test") })
	load(t, p.all()[0])
	p.pick()
	testwait.Eventually(t, "the failed dial to finish", func() bool { return !p.growth.running.Load() })
	require.Equal(t, 2, srv.Dials())
	for range 10 {
		p.pick()
	}
	require.False(t, p.growth.running.Load(), "a dial started right after one failed")
	require.Equal(t, 2, srv.Dials())
	require.Len(t, p.all(), 1)
}

// TestShutdownDuringGrowthLeavesNothingBehind: the last Release ends a
// grow dial in progress, waits for it, and no manager is added after it.
func TestShutdownDuringGrowthLeavesNothingBehind(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // runs last, after the server stopped
	p, srv := newGrowingPool(t, 1, 4)
	dialing := make(chan struct{})
	srv.SetDialHook(func(ctx context.Context, _ int) error {
		close(dialing)
		<-ctx.Done() // a dial that hangs until it is given up
		return ctx.Err()
	})
	load(t, p.all()[0])
	p.pick()
	<-dialing
	p.Release()
	require.False(t, p.growth.running.Load(), "Release returned with a grow dial still running")
	require.Len(t, p.all(), 1)
}

// TestGrownManagerOfADialDuringReconnectRedials: a manager whose dial was
// in progress when the pool was told to reconnect may have reached the
// server the pool was told to leave: it redials as soon as it is added.
func TestGrownManagerOfADialDuringReconnectRedials(t *testing.T) {
	p, srv := newGrowingPool(t, 1, 4)
	dialing, proceed := make(chan struct{}), make(chan struct{})
	srv.SetDialHook(func(_ context.Context, n int) error {
		if n == 2 {
			close(dialing)
			<-proceed
		}
		return nil
	})
	load(t, p.all()[0])
	p.pick()
	<-dialing
	p.Reconnect(errMoved)
	close(proceed)
	waitManagers(t, p, 2)
	grown := p.all()[1]
	testwait.Eventually(t, "the grown manager to redial", func() bool {
		st := grown.Stats()
		return st.Connected && st.Reconnects == 1
	})
}

// TestNoSpillInALoadDipRightAfterHighConcurrency: a moment of low load
// right after many requests were outstanding (a large batch of replies
// just answered) does not send requests to grown managers; a low load
// that lasts does.
func TestNoSpillInALoadDipRightAfterHighConcurrency(t *testing.T) {
	p, _ := newGrowingPool(t, 2, 4)
	base := p.all()
	load(t, base[0])
	load(t, base[1])
	p.pick()
	waitManagers(t, p, 3)
	grown := p.all()[2]

	p.growth.fewOutstanding(40) // the load of a burst, seen a moment ago
	for range 10 {
		require.Contains(t, base, p.pick(), "a request in a dip right after a burst went to a grown manager")
	}
	for range 40 {
		p.pick()
	}
	require.Same(t, grown, p.pick(), "a low load that lasted still kept requests off the grown manager")
}
