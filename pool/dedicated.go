package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/jackc/puddle/v2"

	"github.com/redmux/redmux/manager"
)

// dedicated lends connections of their own for blocking, transactional and
// pub/sub use (invariant 11). Idle ones are kept for reuse; a connection
// that broke or was left with state on it is destroyed instead.
type dedicated struct {
	pool *puddle.Pool[*manager.Conn]
	// life ends when close begins: it releases callers waiting for a
	// connection, and cancels dials in progress.
	life    context.Context
	endLife context.CancelFunc

	mu     sync.Mutex
	lent   map[*manager.Conn]uint64 // interrupted at shutdown; the generation each was lent in
	gen    uint64                   // raised by expire: older connections are not reused
	closed bool
}

func newDedicated(cfg manager.Config, maxSize int) (*dedicated, error) {
	p, err := puddle.NewPool(&puddle.Config[*manager.Conn]{
		Constructor: func(ctx context.Context) (*manager.Conn, error) { return manager.Dial(ctx, cfg) },
		Destructor:  func(c *manager.Conn) { _ = c.Close() },
		MaxSize:     int32(maxSize),
	})
	if err != nil {
		return nil, err
	}
	d := &dedicated{pool: p, lent: make(map[*manager.Conn]uint64)}
	d.life, d.endLife = context.WithCancel(context.Background())
	return d, nil
}

// Lease is a dedicated connection on loan. It ends exactly once, by
// Return or by Discard; any call after that panics.
type Lease struct {
	d     *dedicated
	res   *puddle.Resource[*manager.Conn]
	ended atomic.Bool
}

// Conn returns the leased connection. It panics once the lease has ended.
func (l *Lease) Conn() *manager.Conn {
	if l.ended.Load() {
		panic("redmux/pool: Conn of a Lease that has ended")
	}
	return l.res.Value()
}

// Return ends the lease of a clean connection, one with no state left on
// it (no open MULTI or WATCH, no SELECT or SUBSCRIBE): it goes back to the
// pool for reuse, unless it broke or shutdown began, and is closed then.
// It panics if the lease has already ended.
func (l *Lease) Return() { l.end("Return", true) }

// Discard ends the lease and closes the connection: use it when the
// connection holds state the next user must not inherit. It panics if the
// lease has already ended.
func (l *Lease) Discard() { l.end("Discard", false) }

func (l *Lease) end(op string, keep bool) {
	if !l.ended.CompareAndSwap(false, true) {
		panic("redmux/pool: " + op + " of a Lease that has already ended")
	}
	c := l.res.Value()
	l.d.mu.Lock()
	stale := l.d.lent[c] != l.d.gen
	delete(l.d.lent, c)
	closed, last := l.d.closed, len(l.d.lent) == 0
	l.d.mu.Unlock()
	if keep && !c.Broken() && !closed && !stale {
		l.res.Release()
		return
	}
	l.res.Destroy()
	if closed && last {
		l.d.pool.Close() // the pool's close was left to the last lease back
	}
}

// acquire lends a connection, dialing one if none is idle, waiting no longer
// than ctx when MaxDedicated are already lent. Once close begins, a caller
// still waiting, or whose dial close cut short, gets ErrClosed.
func (d *dedicated) acquire(ctx context.Context) (*Lease, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(d.life, cancel)()
	res, err := d.pool.Acquire(ctx)
	if err != nil {
		if errors.Is(err, puddle.ErrClosedPool) || d.life.Err() != nil {
			return nil, manager.ErrClosed
		}
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		res.Destroy()
		return nil, manager.ErrClosed
	}
	d.lent[res.Value()] = d.gen
	return &Lease{d: d, res: res}, nil
}

// expire makes every connection open now unfit for reuse: the idle ones
// are closed, and the lent ones are closed when they come back instead of
// being kept. Leases in progress go on undisturbed.
func (d *dedicated) expire() {
	d.mu.Lock()
	d.gen++
	d.mu.Unlock()
	for _, res := range d.pool.AcquireAllIdle() {
		res.Destroy()
	}
}

// close interrupts every lent connection, so that calls blocked on them
// return ErrClosed, and closes the idle ones. It never waits for a lease to
// come back (a function holding one may be the very caller of Close): the
// last lease returned closes the pool instead.
func (d *dedicated) close() {
	d.endLife()
	d.mu.Lock()
	d.closed = true
	for c := range d.lent {
		c.Interrupt()
	}
	none := len(d.lent) == 0
	d.mu.Unlock()
	if none {
		d.pool.Close()
		return
	}
	for _, res := range d.pool.AcquireAllIdle() {
		res.Destroy()
	}
}
