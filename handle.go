package redmux

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/pool"
)

// Client is a handle on a pool of connection managers.
//
// A Client is safe for concurrent use by any number of goroutines, and
// Clone and Close may race with calls in flight. Each handle is closed
// once: Close is idempotent, and calls on a closed handle return ErrClosed.
// Byte slices returned by a Client belong to the caller.
type Client struct {
	commands // the typed command helpers, run on this handle

	pool           *pool.Pool
	commandTimeout time.Duration
	shared         *shared
	closed         atomic.Bool
	released       chan struct{} // closed once this handle's Close has released its reference
}

// Connect connects with the default configuration to the server at addr:
// "host:port", or a URL as ParseURL reads it ("redis://user:pass@host:6379/2",
// "rediss://...", "unix:///run/redis.sock"). A failed connect returns a
// *ConnError naming the address and the cause, a bad URL a *ConfigError;
// either way nothing is left running.
func Connect(ctx context.Context, addr string) (*Client, error) {
	if isURL(addr) {
		cfg, err := ParseURL(addr)
		if err != nil {
			return nil, err
		}
		return New(ctx, cfg)
	}
	return New(ctx, Config{Addr: addr})
}

// New connects with the given configuration, dialing every manager before
// it returns. An invalid field is reported as a *ConfigError; a failed
// connect as a *ConnError, with nothing left running.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sh, err := newShared(ctx, cfg.resolved())
	if err != nil {
		return nil, err
	}
	return newHandle(sh), nil
}

// newShared starts the pool of a resolved cfg, dialing every manager.
func newShared(ctx context.Context, cfg Config) (*shared, error) {
	sh := &shared{commandTimeout: cfg.CommandTimeout, subscriptionBuffer: cfg.SubscriptionBuffer, hooks: cfg.hookChain()}
	pc := cfg.poolConfig(&sh.negotiated)
	sh.connConfig = pc.Manager
	p, err := pool.New(ctx, pc)
	if err != nil {
		return nil, err
	}
	sh.pool = p
	return sh, nil
}

// shared is what every handle of one pool has in common.
type shared struct {
	pool               *pool.Pool
	commandTimeout     time.Duration
	negotiated         atomic.Int32   // the protocol the handshakes agreed on
	connConfig         manager.Config // how subscriptions dial their connections
	subscriptionBuffer int
	hooks              *hookChain // nil without Config.Hooks

	subsMu sync.Mutex
	subs   map[*Subscription]struct{} // open subscriptions, ended with the pool

	// stops end what runs beside the pool (NewFailover's sentinel watcher)
	// and wait for it to exit. Set before the first handle exists; run by
	// the close of the last.
	stops []func()
}

// track records an open subscription until it ends.
func (sh *shared) track(s *Subscription) {
	sh.subsMu.Lock()
	defer sh.subsMu.Unlock()
	if sh.subs == nil {
		sh.subs = map[*Subscription]struct{}{}
	}
	sh.subs[s] = struct{}{}
}

func (sh *shared) untrack(s *Subscription) {
	sh.subsMu.Lock()
	defer sh.subsMu.Unlock()
	delete(sh.subs, s)
}

// closeSubscriptions ends every open subscription and waits for them.
func (sh *shared) closeSubscriptions() {
	for _, s := range sh.openSubscriptions() {
		_ = s.Close()
	}
}

// redialSubscriptions makes every open subscription leave its connection
// and reconnect at once.
func (sh *shared) redialSubscriptions() {
	for _, s := range sh.openSubscriptions() {
		s.redial()
	}
}

func (sh *shared) openSubscriptions() []*Subscription {
	sh.subsMu.Lock()
	defer sh.subsMu.Unlock()
	open := make([]*Subscription, 0, len(sh.subs))
	for s := range sh.subs {
		open = append(open, s)
	}
	return open
}

// stopBackground runs the stops, once the pool has shut down.
func (sh *shared) stopBackground() {
	for _, stop := range sh.stops {
		stop()
	}
}

func newHandle(sh *shared) *Client {
	c := &Client{pool: sh.pool, commandTimeout: sh.commandTimeout, shared: sh, released: make(chan struct{})}
	c.commands = commands{r: c}
	return c
}

// Protocol returns the RESP version the connections speak: 3, or 2 with
// Config.Protocol 2 or on a server without HELLO (before Redis 6).
func (c *Client) Protocol() int { return int(c.shared.negotiated.Load()) }

// Clone returns a new handle sharing this one's managers. Each handle must
// be closed; the managers shut down when the last one is. Cloning a closed
// handle, or racing with the close of the last handle, returns a handle
// that is already closed.
func (c *Client) Clone() *Client {
	clone := newHandle(c.shared)
	if c.closed.Load() || !c.pool.Retain() {
		clone.closed.Store(true)
		close(clone.released)
	}
	return clone
}

// Close closes this handle. Closing the last open handle shuts the managers
// down (see the package documentation), ends every Subscription and, for
// a Client of NewFailover, the watch on the sentinels, and returns once
// every goroutine has exited. Calling Close again, even concurrently, returns only once the
// first call has done so. It always returns nil; the error is there for
// io.Closer.
func (c *Client) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.pool.Release()
		select {
		case <-c.pool.Closing(): // this was the last handle
			c.shared.closeSubscriptions()
			c.shared.stopBackground()
		default:
		}
		close(c.released)
		return nil
	}
	<-c.released
	return nil
}

// Do runs the command name with args and returns its reply. Arguments may
// be strings, []byte, integers, floats or bools; any other type is an
// *ArgTypeError naming it. A server error reply is returned as a
// *RedisError (the Value holds the reply too).
//
// Blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN, XREAD ... BLOCK, WAIT,
// ...) run on a dedicated connection so they never stall the shared
// pipeline. Commands that change the connection's state (MULTI, WATCH,
// SUBSCRIBE, SELECT, ...) return ErrNeedsDedicated: run them inside
// Dedicated.
func (c *Client) Do(ctx context.Context, name string, args ...any) (Value, error) {
	if c.closed.Load() {
		return Value{}, ErrClosed
	}
	if v, routed, err := c.routeDo(ctx, name, args); routed {
		return v, err
	}
	req, err := anyCommand(name, args)
	if err != nil {
		return Value{}, err
	}
	return c.do(ctx, req)
}

// run makes a Client a runner of typed commands.
func (c *Client) run(ctx context.Context, req *manager.Request) (Value, error) {
	return c.do(ctx, req)
}

// do sends an encoded request and turns an error reply into an error.
func (c *Client) do(ctx context.Context, req *manager.Request) (Value, error) {
	if h := c.shared.hooks; h != nil {
		return c.hookedDo(ctx, h, req)
	}
	if c.closed.Load() {
		req.Release()
		return Value{}, ErrClosed
	}
	ctx, cancel := c.withCommandTimeout(ctx)
	defer cancel()
	v, err := c.pool.Do(ctx, req)
	if err != nil {
		return v, err
	}
	if err := v.Err(); err != nil {
		return v, err
	}
	return v, nil
}

// hookedDo is do through the hooks, which see ErrClosed too.
func (c *Client) hookedDo(ctx context.Context, h *hookChain, req *manager.Request) (Value, error) {
	ctx, cancel := c.withCommandTimeout(ctx)
	defer cancel()
	return h.runCommand(ctx, req, false, func(ctx context.Context) (Value, error) {
		if c.closed.Load() {
			req.Release()
			return Value{}, ErrClosed
		}
		return c.pool.Do(ctx, req)
	})
}

// withCommandTimeout applies Config.CommandTimeout to a context that has
// no deadline of its own.
func (c *Client) withCommandTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.commandTimeout > 0 {
		if _, has := ctx.Deadline(); !has {
			return context.WithTimeout(ctx, c.commandTimeout)
		}
	}
	return ctx, func() {}
}
