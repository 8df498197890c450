// Package pool runs N connection managers behind one reference-counted
// pool: each request goes to the connected manager with the least load
// (queued plus unanswered), ties broken round-robin, and the release of the
// last reference runs the coordinated shutdown of every manager. Commands
// that must not share a pipeline get dedicated connections from a
// github.com/jackc/puddle/v2 pool.
//
// This is an internal layer of redmux: its API serves the root package and
// may change at any time. Programs use the root package,
// github.com/redmux/redmux.
package pool

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// Config configures a pool. Every field must be set: the root package
// resolves defaults.
type Config struct {
	// Managers is how many managers (connections) New dials; at least 1.
	// They stay for the pool's life and carry the batched traffic.
	Managers int
	// MaxManagers bounds the managers the pool may run: those beyond
	// Managers are opened one at a time while few requests are
	// outstanding (see Pool.pick). Values below Managers mean Managers: no
	// growth.
	MaxManagers int
	// IdleTimeout closes a manager beyond Managers that has written
	// nothing for between one and two IdleTimeouts; 0 keeps them until
	// shutdown.
	IdleTimeout time.Duration
	// Manager configures each manager.
	Manager manager.Config
	// ShutdownTimeout bounds how long the final Release waits for replies
	// to requests already written.
	ShutdownTimeout time.Duration
	// MaxDedicated bounds the dedicated connections open at once.
	MaxDedicated int
	// ReconnectWait bounds how long a request waits for a manager to
	// reconnect when none is connected.
	ReconnectWait time.Duration
	// DisableReadRetry stops read-only requests lost with their
	// connection after they were sent from being sent once more.
	DisableReadRetry bool
}

// Pool is a set of managers sharing one reference count. All methods are
// safe for concurrent use.
type Pool struct {
	managers        atomic.Pointer[[]*manager.Manager] // the base managers, then the grown ones; replaced, never changed
	base            int                                // how many managers New dialed
	growth          growth
	dedicated       *dedicated
	shutdownTimeout time.Duration
	reconnectWait   time.Duration
	readRetry       bool
	redialOn        func(resp.Value) error // Manager.RedialOn: a single command it objects to is resent once
	rerouted        atomic.Uint64          // requests sent again because they were never sent
	retried         atomic.Uint64          // read-only requests sent again after their connection was lost
	next            atomic.Uint32          // round-robin start for ties
	refs            atomic.Int64           // open references; 0 means shut down
	shutdownOnce    sync.Once
	closing         chan struct{} // closed when shutdown begins
	reconnectMu     sync.Mutex    // Reconnect runs wholly before shutdown begins, or not at all; guards adding a manager
	reconnects      uint64        // Reconnect calls, guarded by reconnectMu
	reconnectCause  error         // the latest Reconnect's cause, guarded by reconnectMu

	upMu sync.Mutex
	up   chan struct{} // closed (and replaced) when a manager reconnects or shutdown begins
}

// New starts cfg.Managers managers, dialing them in parallel. If any fails
// to connect, the ones that did are shut down and the first error is
// returned; nothing is left running. The pool starts with one reference.
func New(ctx context.Context, cfg Config) (*Pool, error) {
	if cfg.Managers < 1 || cfg.MaxDedicated < 1 || cfg.ReconnectWait <= 0 {
		return nil, errors.New("pool: Config.Managers, MaxDedicated and ReconnectWait must be positive (the root package resolves them)")
	}
	p := &Pool{
		shutdownTimeout: cfg.ShutdownTimeout,
		reconnectWait:   cfg.ReconnectWait,
		readRetry:       !cfg.DisableReadRetry,
		redialOn:        cfg.Manager.RedialOn,
		up:              make(chan struct{}),
		closing:         make(chan struct{}),
	}
	userOnReconnect := cfg.Manager.OnReconnect
	cfg.Manager.OnReconnect = func() {
		p.announceUp()
		if userOnReconnect != nil {
			userOnReconnect()
		}
	}
	managers := make([]*manager.Manager, cfg.Managers)
	errs := make([]error, cfg.Managers)
	var wg sync.WaitGroup
	for i := range managers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			managers[i], errs[i] = manager.New(ctx, cfg.Manager)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		stopAll(managers, time.Now())
		return nil, firstError(errs)
	}
	ded, err := newDedicated(cfg.Manager, cfg.MaxDedicated)
	if err != nil {
		stopAll(managers, time.Now())
		return nil, err
	}
	p.managers.Store(&managers)
	p.base, p.dedicated = len(managers), ded
	p.growth.init(cfg)
	p.startReaper(cfg.IdleTimeout)
	p.refs.Store(1)
	return p, nil
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// all returns every manager: the base managers first, then the grown
// ones. The slice is never modified; a manager added later makes a new one.
func (p *Pool) all() []*manager.Manager { return *p.managers.Load() }

// pick returns the manager for the next request: the connected base
// manager with the least load, scanning from a round-robin start so that
// ties rotate. When every base manager is busy and growth is allowed, an
// idle grown manager may take the request instead (see spill). When no
// manager is connected it returns the next base manager in turn, whose
// requests then fail fast with a *manager.ConnError.
func (p *Pool) pick() *manager.Manager {
	all := p.all()
	if len(all) == 1 && p.growth.max <= 1 {
		return all[0]
	}
	start := p.next.Add(1)
	best, load, baseLoad := leastLoaded(all[:p.base], start)
	if load == 0 || p.growth.max <= p.base {
		return orInTurn(best, all, start, p.base)
	}
	if best == nil { // every base manager is down: a grown one may be up
		best, _, _ = leastLoaded(all[p.base:], start)
		return orInTurn(best, all, start, p.base) // no growth while the server is unreachable
	}
	if idle := p.spill(all, baseLoad); idle != nil {
		return idle
	}
	return orInTurn(best, all, start, p.base)
}

// leastLoaded returns the connected manager of ms with the least load and
// that load, scanning from start; nil and MaxInt64 when none is connected.
// It stops at the first idle manager; otherwise it has seen every
// connected manager, and total is their load.
func leastLoaded(ms []*manager.Manager, start uint32) (best *manager.Manager, bestLoad, total int64) {
	n := uint32(len(ms))
	bestLoad = math.MaxInt64
	for i := range n {
		m := ms[(start+i)%n]
		if !m.Connected() {
			continue
		}
		load := m.Load()
		total += load
		if load < bestLoad {
			best, bestLoad = m, load
			if load == 0 {
				break
			}
		}
	}
	return best, bestLoad, total
}

// orInTurn returns m, or when it is nil the base manager whose turn it is.
func orInTurn(m *manager.Manager, all []*manager.Manager, start uint32, base int) *manager.Manager {
	if m == nil {
		return all[start%uint32(base)]
	}
	return m
}

// pickConnected returns a connected manager, or one that is shutting down
// (whose Send answers ErrClosed), waiting for a reconnect if need be: no
// longer than ctx and, over the whole call, ReconnectWait (waitUntil holds
// that deadline once the call first had to wait). On failure it releases
// req.
func (p *Pool) pickConnected(ctx context.Context, req *manager.Request, waitUntil *time.Time) (*manager.Manager, error) {
	if m := p.pick(); m.Connected() || m.Closing() {
		return m, nil
	}
	if waitUntil.IsZero() {
		*waitUntil = time.Now().Add(p.reconnectWait)
	}
	timer := time.NewTimer(time.Until(*waitUntil))
	defer timer.Stop()
	for {
		up := p.upSignal()
		m := p.pick()
		if m.Connected() || m.Closing() {
			return m, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			req.Release()
			return nil, ctx.Err()
		case <-timer.C:
			return nil, m.Unavailable(req)
		}
	}
}

func (p *Pool) upSignal() <-chan struct{} {
	p.upMu.Lock()
	defer p.upMu.Unlock()
	return p.up
}

// announceUp wakes every request waiting for a connected manager.
func (p *Pool) announceUp() {
	p.upMu.Lock()
	defer p.upMu.Unlock()
	close(p.up)
	p.up = make(chan struct{})
}

// Dedicated lends a connection of its own, for commands that must not run
// on a shared manager: blocking commands, transactions, pub/sub and other
// connection state. It returns ErrClosed once shutdown began.
func (p *Pool) Dedicated(ctx context.Context) (*Lease, error) {
	return p.dedicated.acquire(ctx)
}

// Retain adds a reference. It fails, returning false, once the count has
// reached zero: a pool that began shutting down cannot be revived.
func (p *Pool) Retain() bool {
	for {
		n := p.refs.Load()
		if n <= 0 {
			return false
		}
		if p.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release drops a reference. Releasing the last one shuts every manager
// down together, with one deadline (Config.ShutdownTimeout) for the
// replies still due, and returns only after all of their goroutines have
// exited.
func (p *Pool) Release() {
	if p.refs.Add(-1) == 0 {
		p.shutdownOnce.Do(func() {
			p.reconnectMu.Lock() // no Reconnect runs into the shutdown, no manager is added after it
			close(p.closing)
			p.reconnectMu.Unlock()
			p.growth.stop() // a dial in progress gives up; its manager is never added
			deadline := time.Now().Add(p.shutdownTimeout)
			p.dedicated.close() // does not wait for leases
			all := p.all()
			for _, m := range all {
				m.Shutdown(deadline)
			}
			p.announceUp() // requests waiting for a reconnect find the managers closing
			stopAll(all, deadline)
		})
	}
}

// Reconnect makes every connection of the pool give way to a new one, for
// when the server they reach is no longer the right one: each manager ends
// its connection as if it had failed with cause and redials at once (see
// manager.Manager.Reconnect), idle dedicated connections are closed, and
// lent ones are closed when they come back. It does nothing once shutdown
// has begun, and never blocks. Safe for concurrent use.
func (p *Pool) Reconnect(cause error) {
	p.reconnectMu.Lock()
	defer p.reconnectMu.Unlock()
	select {
	case <-p.closing:
		return
	default:
	}
	p.reconnects++
	p.reconnectCause = cause
	for _, m := range p.all() {
		m.Reconnect(cause)
	}
	p.dedicated.expire()
}

// closed reports whether shutdown has begun.
func (p *Pool) closed() bool {
	select {
	case <-p.closing:
		return true
	default:
		return false
	}
}

// Closing is closed when the last reference is released and shutdown
// begins, for what the pool's users run beside it (subscriptions).
func (p *Pool) Closing() <-chan struct{} { return p.closing }

// ManagerStats returns a snapshot of every manager's counters, in a slice
// of the caller's own.
func (p *Pool) ManagerStats() []manager.Stats {
	all := p.all()
	st := make([]manager.Stats, len(all))
	for i, m := range all {
		st[i] = m.Stats()
	}
	return st
}

// stopAll begins every manager's shutdown with one shared deadline, then
// waits for all of them.
func stopAll(managers []*manager.Manager, deadline time.Time) {
	for _, m := range managers {
		if m != nil {
			m.Shutdown(deadline)
		}
	}
	for _, m := range managers {
		if m != nil {
			<-m.Done()
		}
	}
}
