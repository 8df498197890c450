package pool

import (
	"context"
	"errors"
	"runtime"
	"strings"
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
	return startPool(t, srv, Config{Managers: base, MaxManagers: max, ShutdownTimeout: time.Millisecond}), srv
}

// startPool starts a pool of cfg on srv, released at the end of the test
// unless the test released it.
func startPool(t *testing.T, srv *fakeredis.Server, cfg Config) *Pool {
	t.Helper()
	cfg.Manager.Addr, cfg.Manager.Dial = srv.Addr(), srv.Dial
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Limit)
	defer cancel()
	p, err := New(ctx, testConfig(cfg))
	require.NoError(t, err)
	t.Cleanup(func() {
		if p.refs.Load() > 0 {
			p.Release()
		}
	})
	return p
}

// picksDialNothing picks ten times, passing each pick to check (when not
// nil), and asserts that no grow dial started: the server has seen dials
// dials in all.
func picksDialNothing(t *testing.T, p *Pool, srv *fakeredis.Server, dials int, check func(*manager.Manager)) {
	t.Helper()
	for range 10 {
		if m := p.pick(); check != nil {
			check(m)
		}
	}
	require.False(t, p.growth.running.Load(), "a grow dial started")
	require.Equal(t, dials, srv.Dials())
}

// growOne puts one request on each base manager, then picks once, which
// opens a grown manager, and returns that manager once it joined.
func growOne(t *testing.T, p *Pool) *manager.Manager {
	t.Helper()
	base := p.all()
	for _, m := range base {
		load(t, m)
	}
	p.pick()
	waitManagers(t, p, len(base)+1)
	return p.all()[len(base)]
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
	picksDialNothing(t, p, srv, 2, func(m *manager.Manager) { require.Same(t, base[1], m) })
}

// TestGrownManagerBusyLeavesRequestsOnTheBaseManagers: with every manager
// busy and the pool at MaxManagers, requests go to the least-loaded base
// manager, never to a grown one.
func TestGrownManagerBusyLeavesRequestsOnTheBaseManagers(t *testing.T) {
	p, _ := newGrowingPool(t, 2, 3)
	base := p.all()
	load(t, growOne(t, p))
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
	picksDialNothing(t, p, srv, 2, func(m *manager.Manager) { require.Contains(t, base, m) })
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
	picksDialNothing(t, p, srv, 3, nil)
	require.Len(t, p.ManagerStats(), 3)
}

// TestFixedPoolNeverGrows: MaxManagers at or below Managers keeps the pool
// at Managers.
func TestFixedPoolNeverGrows(t *testing.T) {
	p, srv := newGrowingPool(t, 2, 0)
	base := p.all()
	load(t, base[0])
	load(t, base[1])
	picksDialNothing(t, p, srv, 2, func(m *manager.Manager) { require.Contains(t, base, m) })
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
	picksDialNothing(t, p, srv, 2, nil)
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
	grown := growOne(t, p)

	p.growth.fewOutstanding(40) // the load of a burst, seen a moment ago
	for range 10 {
		require.Contains(t, base, p.pick(), "a request in a dip right after a burst went to a grown manager")
	}
	for range 40 {
		p.pick()
	}
	require.Same(t, grown, p.pick(), "a low load that lasted still kept requests off the grown manager")
}

// newIdlePool is newGrowingPool on a server answering +PONG, with grown
// managers closed after idle.
func newIdlePool(t *testing.T, base, max int, idle time.Duration) *Pool {
	t.Helper()
	return startPool(t, fakeredis.Pong(t), Config{Managers: base, MaxManagers: max, IdleTimeout: idle, ShutdownTimeout: time.Second})
}

// TestIdleGrownManagerIsClosed: a grown manager that has written nothing
// for IdleTimeout is taken out of the pool and shut down; the base
// managers stay whatever their idleness.
func TestIdleGrownManagerIsClosed(t *testing.T) {
	p := startPool(t, fakeredis.Silent(t), Config{Managers: 2, MaxManagers: 3, IdleTimeout: 100 * time.Millisecond, ShutdownTimeout: time.Second})
	base := p.all()
	grown := growOne(t, p)

	testwait.Eventually(t, "the idle grown manager to be closed", func() bool { return len(p.all()) == 2 })
	<-grown.Done()
	require.Equal(t, base, p.all(), "a base manager was closed or the order changed")
	require.Equal(t, uint64(1), p.growth.retired.Load())
}

// TestRequestRefusedByARetiredManagerIsSentAgain: a request that picked
// a grown manager just as the pool closed it for idleness is refused
// unsent (Request.Refused), and the pool sends it to another manager; at
// shutdown the same refusal is final.
func TestRequestRefusedByARetiredManagerIsSentAgain(t *testing.T) {
	p := newIdlePool(t, 1, 2, time.Hour)
	m, err := manager.New(context.Background(), p.growth.cfg)
	require.NoError(t, err)
	m.Shutdown(time.Now().Add(time.Second)) // retired, still in a slice some pick loaded
	<-m.Done()
	req := pingRequest()
	defer req.Release()
	m.Send(context.Background(), req)
	_, refusal := req.Result()
	require.Same(t, manager.ErrClosed, refusal, "callers compare with ErrClosed itself")
	require.True(t, req.Refused(), "a closing manager's refusal is not recognisable as unsent")
	require.True(t, p.refusedByRetired(req), "the open pool does not send the refused request again")
	p.Release()
	require.False(t, p.refusedByRetired(req), "after shutdown began a refused request would be sent again")
}

// TestRequestsRacingAnIdleCloseAreNeverRefused: bursts of requests grow
// the pool, and between bursts grown managers are closed for idleness
// (IdleTimeout 1 ms, so closes also fall inside bursts); no request fails.
func TestRequestsRacingAnIdleCloseAreNeverRefused(t *testing.T) {
	p := newIdlePool(t, 1, 4, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Limit)
	defer cancel()
	const bursts, workers, calls = 20, 6, 30
	for range bursts {
		retired := p.growth.retired.Load()
		errs := make(chan error, workers)
		for range workers {
			go func() {
				var err error
				for i := 0; i < calls && err == nil; i++ {
					_, err = p.Do(ctx, pingRequest())
				}
				errs <- err
			}()
		}
		for range workers {
			require.NoError(t, <-errs)
		}
		if len(p.all()) > 1 { // the burst grew the pool: wait for an idle close before the next
			testwait.Eventually(t, "an idle grown manager to be closed", func() bool { return p.growth.retired.Load() > retired })
		}
	}
	require.NotZero(t, p.growth.retired.Load(), "no grown manager was closed: the test raced nothing")
}

// TestNoGrowthWhileEveryBaseManagerIsDown: with the server unreachable,
// requests leave the redials to the base managers' backoff and dial
// nothing more.
func TestNoGrowthWhileEveryBaseManagerIsDown(t *testing.T) {
	p, g := downPool(t, 1, reconnectTestLimit)
	p.growth.max = 4 // as if configured so: downPool builds a fixed pool
	refused := g.refused.Load()
	for range 10 {
		p.pick()
	}
	require.False(t, p.growth.running.Load(), "a grow dial started while every base manager was down")
	require.Len(t, p.all(), 1)
	require.LessOrEqual(t, g.refused.Load(), refused+1, "requests dialed the unreachable server") // the base manager's own redial may fall in between
}

// waitUntilWaitingForUp waits until a goroutine waits in pickConnected for
// a manager to connect.
func waitUntilWaitingForUp(t *testing.T) {
	t.Helper()
	testwait.Eventually(t, "a request to wait for a connected manager", func() bool {
		buf := make([]byte, 1<<20)
		return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "pool.(*Pool).pickConnected")
	})
}

// TestWaiterTakesAManagerAddedWhileItWaits: a request waiting for a
// connected manager (every base manager down) is woken when a grown
// manager joins the pool, rather than sitting out ReconnectWait.
func TestWaiterTakesAManagerAddedWhileItWaits(t *testing.T) {
	srv := fakeredis.Pong(t)
	g := &gate{}
	g.up.Store(true)
	srv.SetDialHook(g.hook)
	p := startPool(t, srv, Config{
		Managers: 1, MaxManagers: 2, ReconnectWait: reconnectTestLimit, ShutdownTimeout: time.Second,
		Manager: manager.Config{BackoffMin: time.Minute, BackoffMax: time.Minute},
	})
	g.up.Store(false)
	srv.CloseConns()
	refusedAtLeast(t, g, 1) // the base manager now waits a minute before its next dial
	g.up.Store(true)

	done := make(chan error, 1)
	go func() {
		_, err := p.Do(context.Background(), pingRequest())
		done <- err
	}()
	waitUntilWaitingForUp(t)
	m, err := manager.New(context.Background(), p.growth.cfg)
	require.NoError(t, err)
	require.True(t, p.add(m, 0))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(testwait.Limit):
		t.Fatal("the waiting request was not woken by the manager added to the pool")
	}
}
