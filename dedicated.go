package redmux

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/pool"
)

// ErrNeedsDedicated is returned by Client.Do for commands that change or
// depend on the state of their connection (MULTI/EXEC, WATCH, SUBSCRIBE,
// SELECT, MONITOR, CLIENT REPLY, ...). They would corrupt a shared
// pipeline; run them inside Client.Dedicated.
var ErrNeedsDedicated = errors.New("redmux: command needs a dedicated connection (use Client.Dedicated)")

// DedicatedConn is a connection lent to one function by Client.Dedicated.
// It runs any command, including transactions, blocking commands and
// pub/sub. It must be used only by that function's goroutine and not kept
// after the function returns.
type DedicatedConn struct {
	commands // the typed command helpers, run on this connection

	lease *pool.Lease
	state connState
	hooks *hookChain // nil without Config.Hooks
}

// connState tracks the state commands leave on a dedicated connection, to
// decide whether it can be reused.
type connState struct {
	inMulti  bool // MULTI without EXEC or DISCARD yet
	watching bool // WATCH without EXEC, DISCARD or UNWATCH yet
	tainted  bool // anything else that changes the connection (SELECT, SUBSCRIBE, ...)
}

func (s connState) clean() bool { return !s.inMulti && !s.watching && !s.tainted }

// Dedicated runs fn with a connection of its own, lent from a small pool
// (Config.MaxDedicated). Use it for WATCH/MULTI/EXEC transactions,
// pub/sub and other connection state. When fn returns, the connection goes
// back to the pool if it is clean (no open MULTI or WATCH, nothing like
// SELECT or SUBSCRIBE done on it), and is closed otherwise. Closing the last
// Client handle interrupts calls in progress on dedicated connections.
func (c *Client) Dedicated(ctx context.Context, fn func(conn *DedicatedConn) error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	lease, err := c.pool.Dedicated(ctx)
	if err != nil {
		return err
	}
	conn := &DedicatedConn{lease: lease, hooks: c.shared.hooks}
	conn.commands = commands{r: conn}
	defer func() {
		if conn.state.clean() {
			lease.Return()
		} else {
			lease.Discard()
		}
	}()
	return fn(conn)
}

// Do runs the command name with args on the dedicated connection, with
// the argument rules of Client.Do. ctx bounds the call; if it ends first
// the connection is closed after fn returns. Server error replies come
// back as *RedisError.
func (d *DedicatedConn) Do(ctx context.Context, name string, args ...any) (Value, error) {
	if isSubscribe(name) {
		return Value{}, errSubscribeHere(name)
	}
	req, err := anyCommand(name, args)
	if err != nil {
		return Value{}, err
	}
	d.track(name, args)
	return d.run(ctx, req)
}

// runBlocking runs a typed blocking command: on a dedicated connection,
// as any other, bounded by ctx alone.
func (d *DedicatedConn) runBlocking(ctx context.Context, req *manager.Request, _ time.Duration) (Value, error) {
	return d.run(ctx, req)
}

// run makes a DedicatedConn a runner of typed commands.
func (d *DedicatedConn) run(ctx context.Context, req *manager.Request) (Value, error) {
	vals, err := d.exchange(ctx, req, 1)
	req.Release()
	if err != nil {
		return Value{}, err
	}
	return vals[0], vals[0].Err()
}

// exchange sends the encoded commands of req, expecting replies replies,
// through the hooks if there are any. Every send on a dedicated
// connection goes through it. The caller keeps req.
func (d *DedicatedConn) exchange(ctx context.Context, req *manager.Request, replies int) ([]Value, error) {
	conn := d.lease.Conn()
	if d.hooks == nil {
		return conn.Do(ctx, req.Cmd, replies)
	}
	if replies > 1 {
		return d.hooks.runPipeline(ctx, req, true, func(ctx context.Context) ([]Value, error) {
			return conn.Do(ctx, req.Cmd, replies)
		})
	}
	v, err := d.hooks.runCommand(ctx, req, true, func(ctx context.Context) (Value, error) {
		vals, err := conn.Do(ctx, req.Cmd, 1)
		if err != nil {
			return Value{}, err
		}
		return vals[0], nil
	})
	if err != nil && v.Err() == nil { // not a reply: the exchange failed
		return nil, err
	}
	return []Value{v}, nil
}

// Receive reads the next value the server sends without being asked, such
// as a pub/sub message after SUBSCRIBE, waiting no longer than ctx.
func (d *DedicatedConn) Receive(ctx context.Context) (Value, error) {
	return d.lease.Conn().Receive(ctx)
}

// track records what a command does to the connection's state.
func (d *DedicatedConn) track(name string, args []any) {
	switch commandLabel(name) {
	case "MULTI":
		d.state.inMulti = true
	case "EXEC", "DISCARD":
		d.state.inMulti, d.state.watching = false, false
	case "WATCH":
		d.state.watching = true
	case "UNWATCH":
		d.state.watching = false
	default:
		if routeOf(name, args) == routeConnState {
			d.state.tainted = true
		}
	}
}

// doBlocking runs a blocking command given to Client.Do on a dedicated
// connection, so that it never stalls a shared pipeline.
func (c *Client) doBlocking(ctx context.Context, name string, args []any) (Value, error) {
	ctx, cancel := c.blockingContext(ctx, name, args)
	defer cancel()
	var v Value
	err := c.Dedicated(ctx, func(conn *DedicatedConn) error {
		var err error
		v, err = conn.Do(ctx, name, args...)
		return err
	})
	return v, err
}

// routeDo sends a blocking command to a dedicated connection and refuses
// one that changes connection state; routed is false for the others.
func (c *Client) routeDo(ctx context.Context, name string, args []any) (v Value, routed bool, err error) {
	switch routeOf(name, args) {
	case routeBlocking:
		v, err := c.doBlocking(ctx, name, args)
		return v, true, err
	case routeConnState:
		return Value{}, true, refuseConnState(name)
	}
	return Value{}, false, nil
}

// refuseConnState is the error of a command that changes connection
// state given to a handle that shares its connections.
func refuseConnState(name string) error {
	if isSubscribe(name) {
		return errSubscribeHere(name)
	}
	return fmt.Errorf("%w: %s", ErrNeedsDedicated, commandLabel(name))
}

// isSubscribe reports whether name starts or ends a pub/sub subscription,
// which only a Subscription runs.
func isSubscribe(name string) bool {
	switch commandLabel(name) {
	case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE":
		return true
	}
	return false
}

// errSubscribeHere is the error for a subscribe command given to Do or a
// Batch. It matches ErrNeedsDedicated, as every connection-state command
// does.
func errSubscribeHere(name string) error { return &subscribeError{name: commandLabel(name)} }

type subscribeError struct{ name string }

func (e *subscribeError) Error() string {
	return "redmux: " + e.name + " runs only in a Subscription: use Client.Subscribe, PSubscribe or SSubscribe"
}

func (e *subscribeError) Unwrap() error { return ErrNeedsDedicated }
