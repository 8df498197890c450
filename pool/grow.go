package pool

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/manager"
)

// growRetryAfter is how long the pool waits before it tries to open
// another manager after a dial failed: a down or refusing server must not
// be met with a dial per request.
const growRetryAfter = time.Second

// growth opens managers beyond the base ones (Config.Managers), up to
// Config.MaxManagers, one at a time and in the background, so that no
// request ever waits for a dial.
//
// Why: at low concurrency a connection per outstanding request answers
// sooner than a pipeline shared by several (the server handles each
// connection's request as soon as it arrives, and a caller alone on its
// manager reads its own reply); at high concurrency a few connections
// carrying large batches cost fewer system calls per request on both
// sides. So requests spill to grown managers only while fewer are
// outstanding in the whole pool than MaxManagers, and have been lately
// (see fewOutstanding), and beyond that they stay on the base managers.
type growth struct {
	max       int            // Config.MaxManagers, at least the base count
	cfg       manager.Config // every grown manager's
	running   atomic.Bool    // a dial is in progress
	highWater atomic.Int64   // the base managers' load, as high as it was lately (see fewOutstanding)
	retired   atomic.Uint64  // grown managers closed for being idle
	notBefore atomic.Int64   // Unix nanoseconds before which no dial starts, after one failed
	ctx       context.Context
	cancel    context.CancelFunc // ends a dial in progress; called by stop
	wg        sync.WaitGroup     // the dial in progress and the reaper
}

func (g *growth) init(cfg Config) {
	g.max = max(cfg.MaxManagers, cfg.Managers)
	g.cfg = cfg.Manager
	g.ctx, g.cancel = context.WithCancel(context.Background())
}

// stop ends a dial in progress and waits for its goroutine and the
// reaper's. The caller has closed Pool.closing under reconnectMu, so no
// dial starts and no manager is retired after it.
func (g *growth) stop() {
	g.cancel()
	g.wg.Wait()
}

// spill returns an idle connected grown manager for a request that found
// every base manager busy (baseLoad outstanding on them), when fewer than
// MaxManagers requests are outstanding in the whole pool; nil to leave
// the request on a base manager. When it finds none idle and the pool may
// grow, it starts opening one more manager for the requests to come.
//
// Under high concurrency it returns after the base managers' load alone:
// the grown managers' counters, written by their own callers, are not
// read on that path, which runs for every request.
func (p *Pool) spill(all []*manager.Manager, baseLoad int64) *manager.Manager {
	limit := int64(p.growth.max)
	if !p.growth.fewOutstanding(baseLoad) {
		return nil
	}
	outstanding := baseLoad
	var idle *manager.Manager
	for _, m := range all[p.base:] {
		load := m.Load()
		outstanding += load
		if idle == nil && load == 0 && m.Connected() {
			idle = m
		}
	}
	switch {
	case outstanding >= limit:
		return nil
	case idle == nil && len(all) < p.growth.max:
		p.startGrowing()
	}
	return idle
}

// fewOutstanding reports whether baseLoad, the load of the base managers
// seen by a request that found them all busy, is below MaxManagers, and
// has been lately. Under high concurrency the load dips for a moment
// whenever a large batch of replies is answered (the reader completes
// them faster than their callers come back with the next request); a
// request spilled to a grown manager in such a dip is a write of its own
// instead of a place in a batch, which cost 3-5% of the throughput at 64
// goroutines. So the high-water mark of the load rises at once and falls
// by one per request that sees a low load: after a burst, some requests
// must have seen a low load before any spills, and once low it is not
// written again while the load stays below its mark.
func (g *growth) fewOutstanding(baseLoad int64) bool {
	limit := int64(g.max)
	mark := g.highWater.Load()
	switch {
	case baseLoad > mark:
		g.highWater.Store(baseLoad)
		mark = baseLoad
	case mark >= limit && baseLoad < limit:
		mark = g.highWater.Add(-1)
	}
	return mark < limit && baseLoad < limit
}

// startGrowing opens one more manager in the background, unless a dial is
// already in progress, the last one failed less than growRetryAfter ago,
// or shutdown has begun.
func (p *Pool) startGrowing() {
	g := &p.growth
	if time.Now().UnixNano() < g.notBefore.Load() || !g.running.CompareAndSwap(false, true) {
		return
	}
	p.reconnectMu.Lock()
	defer p.reconnectMu.Unlock()
	select {
	case <-p.closing:
		g.running.Store(false)
		return
	default:
	}
	g.wg.Add(1)
	go p.grow(p.reconnects)
}

// grow dials one manager and adds it to the pool. reconnects is the count
// of Reconnect calls when the dial began: if the pool was told to
// reconnect meanwhile, the new manager may have reached the server the
// pool was told to leave, and is made to reconnect too.
func (p *Pool) grow(reconnects uint64) {
	g := &p.growth
	defer g.wg.Done()
	defer g.running.Store(false)
	m, err := manager.New(g.ctx, g.cfg)
	if err != nil {
		g.notBefore.Store(time.Now().Add(growRetryAfter).UnixNano())
		if g.ctx.Err() == nil {
			p.logGrowFailed(err)
		}
		return
	}
	if !p.add(m, reconnects) {
		stopAll([]*manager.Manager{m}, time.Now()) // nothing was sent on it
	}
}

// add appends m to the pool's managers, unless shutdown has begun.
func (p *Pool) add(m *manager.Manager, reconnects uint64) bool {
	p.reconnectMu.Lock()
	defer p.reconnectMu.Unlock()
	select {
	case <-p.closing:
		return false
	default:
	}
	if p.reconnects != reconnects {
		m.Reconnect(p.reconnectCause)
	}
	grown := append(slices.Clip(p.all()), m)
	p.managers.Store(&grown)
	p.announceUp() // a request waiting for a connected manager may take this one
	return true
}

// startReaper starts the goroutine that closes grown managers idle for
// idleTimeout, when the pool may grow and idleTimeout is positive.
func (p *Pool) startReaper(idleTimeout time.Duration) {
	if p.growth.max <= p.base || idleTimeout <= 0 {
		return
	}
	p.growth.wg.Add(1)
	go p.reap(idleTimeout)
}

// reap closes, every idleTimeout, the grown managers that wrote nothing
// since the previous look and have nothing outstanding, until shutdown.
func (p *Pool) reap(idleTimeout time.Duration) {
	defer p.growth.wg.Done()
	tick := time.NewTicker(idleTimeout)
	defer tick.Stop()
	written := map[*manager.Manager]uint64{}
	for {
		select {
		case <-p.closing:
			return
		case <-tick.C:
		}
		for _, m := range p.all()[p.base:] {
			st := m.Stats()
			last, seen := written[m]
			written[m] = st.Written
			if seen && last == st.Written && st.Load == 0 {
				delete(written, m)
				p.retire(m, idleTimeout)
			}
		}
	}
}

// retire takes m out of the pool, then shuts it down: a request that
// picked it just before is either taken and answered as usual, or
// refused unsent (Request.Refused) and sent to another manager.
func (p *Pool) retire(m *manager.Manager, idle time.Duration) {
	if !p.remove(m) {
		return
	}
	p.growth.retired.Add(1)
	m.Shutdown(time.Now().Add(p.shutdownTimeout))
	<-m.Done()
	p.logRetired(idle, len(p.all()))
}

// remove takes m out of the pool's managers, unless shutdown has begun
// (which stops every manager itself).
func (p *Pool) remove(m *manager.Manager) bool {
	p.reconnectMu.Lock()
	defer p.reconnectMu.Unlock()
	if p.closed() {
		return false
	}
	kept := slices.DeleteFunc(slices.Clone(p.all()), func(x *manager.Manager) bool { return x == m })
	p.managers.Store(&kept)
	return true
}
