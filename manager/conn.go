package manager

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/resp"
)

// Conn is a dedicated connection for commands that must not share a
// manager's pipeline: blocking commands (BLPOP, XREAD BLOCK, WAIT), which
// would hold up every request behind them, and transactions
// (WATCH/MULTI/EXEC), pub/sub and other connection state, which would leak
// into other callers' commands. It has no goroutines of its own: each call
// writes and reads on the caller's goroutine.
//
// A Conn is used by one goroutine at a time; only Interrupt may be called
// concurrently. An error in the middle of an exchange, including the end of
// the caller's context, breaks it: the reply stream can no longer be
// trusted, so a broken Conn must be closed, never reused. A Receive whose
// context ends before any byte of a value arrived leaves it intact.
type Conn struct {
	addr        string
	nc          net.Conn
	rd          *resp.Reader
	onPush      func(resp.Value)
	messages    []resp.Value // pub/sub pushes read by Do, for Receive
	broken      atomic.Bool
	interrupted atomic.Bool // by shutdown: calls fail with ErrClosed
}

// maxParkedMessages bounds the pub/sub messages Do sets aside for Receive
// while it waits for its replies; past it the Conn is broken rather than
// grow without limit.
const maxParkedMessages = 1 << 16

// Dial opens a dedicated connection with cfg's dialer, timeout, handshake
// and reader limits.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s, err := connect(ctx, cfg, new(atomic.Uint64))
	if err != nil {
		return nil, err
	}
	return &Conn{addr: s.addr, nc: s.nc, rd: s.rd, onPush: cfg.OnPush}, nil
}

// Do writes cmd (one or more encoded commands) and reads replies of them.
// ctx bounds the whole exchange; if it ends first, Do returns ctx's error
// and the Conn is broken.
//
// RESP3 push frames are not replies, except the confirmations of
// SUBSCRIBE and its kin, which RESP3 sends as pushes: pub/sub messages are
// set aside for Receive, and other pushes go to Config.OnPush.
func (c *Conn) Do(ctx context.Context, cmd []byte, replies int) ([]resp.Value, error) {
	if err := c.usable(cmd); err != nil {
		return nil, err
	}
	defer c.watch(ctx).stop()
	if _, err := c.nc.Write(cmd); err != nil {
		return nil, c.fail(ctx, "write", cmd, err)
	}
	vals := make([]resp.Value, 0, replies)
	for len(vals) < replies {
		v, err := c.rd.ReadValue()
		if err != nil {
			return nil, c.fail(ctx, "read", cmd, err)
		}
		switch pushKind(v) {
		case pushNone, pushConfirmation:
			vals = append(vals, v)
		case pushMessage:
			if len(c.messages) == maxParkedMessages {
				return nil, c.fail(ctx, "read", cmd, errors.New("too many pub/sub messages arrived before the reply"))
			}
			c.messages = append(c.messages, v)
		case pushOther:
			if c.onPush != nil {
				c.onPush(v)
			}
		}
	}
	return vals, nil
}

// pushClass sorts what a dedicated connection reads.
type pushClass int

const (
	pushNone         pushClass = iota // not a push: a reply
	pushConfirmation                  // (un)subscribe confirmation: the reply to that command
	pushMessage                       // a pub/sub message: for Receive
	pushOther                         // anything else (invalidate, ...): for OnPush
)

// pushKind classifies v by its type and its first element.
func pushKind(v resp.Value) pushClass {
	if v.Type() != resp.TypePush {
		return pushNone
	}
	elems, _ := v.Array()
	if len(elems) == 0 {
		return pushOther
	}
	kind, _ := elems[0].Text()
	switch kind {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
		return pushConfirmation
	case "message", "pmessage", "smessage":
		return pushMessage
	}
	return pushOther
}

// Receive reads one more value, such as a pub/sub message, waiting no longer
// than ctx; messages Do set aside while it waited for its replies come
// first. If ctx ends before any byte of the value arrived, Receive returns
// ctx's error and the Conn stays usable; if it ends in the middle of a
// value, the Conn is broken.
func (c *Conn) Receive(ctx context.Context) (resp.Value, error) {
	if err := c.usable(nil); err != nil {
		return resp.Value{}, err
	}
	if len(c.messages) > 0 { // read by Do while it waited for its replies
		v := c.messages[0]
		c.messages[0] = resp.Value{}
		c.messages = c.messages[1:]
		return v, nil
	}
	w := c.watchReads(ctx)
	defer w.stop()
	if err := c.rd.Await(); err != nil {
		if ctxErr := contextEnded(ctx); ctxErr != nil && !c.interrupted.Load() {
			return resp.Value{}, ctxErr // nothing consumed: the stream is intact
		}
		return resp.Value{}, c.fail(ctx, "read", nil, err)
	}
	v, err := c.rd.ReadValue()
	if err != nil {
		return resp.Value{}, c.fail(ctx, "read", nil, err)
	}
	return v, nil
}

// usable returns the error for a call on a broken connection: ErrClosed
// after Interrupt, otherwise a *ConnError. A broken Conn is never read
// again: a late reply to the call that broke it would pass for the answer
// to the next one.
func (c *Conn) usable(cmd []byte) error {
	switch {
	case c.interrupted.Load():
		return ErrClosed
	case c.broken.Load():
		return &ConnError{Op: "use", Addr: c.addr, Cmd: commandName(cmd), Err: errors.New("dedicated connection is broken by an earlier failure")}
	}
	return nil
}

// deadlineWatch makes the connection's I/O stop when a context ends: it
// sets a past deadline from the context's callback, and stop takes it back.
// The two are serialized, so after stop the connection has no deadline and
// no late callback can set one.
type deadlineWatch struct {
	nc      net.Conn
	set     func(time.Time) error // SetDeadline, or SetReadDeadline for Receive
	unwatch func() bool
	mu      sync.Mutex
	stopped bool
}

func (c *Conn) watch(ctx context.Context) *deadlineWatch {
	return c.watchWith(ctx, c.nc.SetDeadline)
}

// watchReads is watch for Receive: it bounds reads only, so that a Send
// running beside it keeps its own write deadline.
func (c *Conn) watchReads(ctx context.Context) *deadlineWatch {
	return c.watchWith(ctx, c.nc.SetReadDeadline)
}

func (c *Conn) watchWith(ctx context.Context, setDeadline func(time.Time) error) *deadlineWatch {
	if deadline, ok := ctx.Deadline(); ok {
		_ = setDeadline(deadline)
	}
	return newDeadlineWatch(ctx, c.nc, setDeadline)
}

// newDeadlineWatch sets a past deadline with set when ctx ends, until stop.
func newDeadlineWatch(ctx context.Context, nc net.Conn, set func(time.Time) error) *deadlineWatch {
	w := &deadlineWatch{nc: nc, set: set}
	w.unwatch = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.stopped {
			_ = w.set(time.Unix(1, 0))
		}
	})
	return w
}

func (w *deadlineWatch) stop() {
	w.unwatch()
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	_ = w.set(time.Time{})
}

// contextEnded returns ctx's error, or DeadlineExceeded when its deadline
// has passed but its timer has not fired yet (the socket's deadline, set to
// the same instant, can fire first).
func contextEnded(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// fail breaks the connection and returns the error the caller sees:
// ErrClosed if shutdown interrupted the call, the context's error if it
// ended, otherwise a *ConnError.
func (c *Conn) fail(ctx context.Context, op string, cmd []byte, err error) error {
	c.broken.Store(true)
	if c.interrupted.Load() {
		return ErrClosed
	}
	if ctxErr := contextEnded(ctx); ctxErr != nil {
		return ctxErr
	}
	return &ConnError{Op: op, Addr: c.addr, Cmd: commandName(cmd), Err: err}
}

// Broken reports whether the connection failed and must be closed.
func (c *Conn) Broken() bool { return c.broken.Load() }

// Interrupt breaks a call in progress from another goroutine (used at
// shutdown). The Conn is broken afterwards.
func (c *Conn) Interrupt() {
	c.interrupted.Store(true)
	c.broken.Store(true)
	_ = c.nc.Close()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Addr is the server's address: Config.Addr, or the address reached with
// Config.AddrFromConn.
func (c *Conn) Addr() string { return c.addr }

// Send writes cmd without reading anything, within timeout: for a
// connection whose replies one goroutine reads with Receive while others
// send (a pub/sub subscription). It may run concurrently with Receive, not
// with Do or another Send. A failed write breaks and closes the Conn, which
// ends a Receive in progress.
func (c *Conn) Send(cmd []byte, timeout time.Duration) error {
	if err := c.usable(cmd); err != nil {
		return err
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.nc.Write(cmd)
	_ = c.nc.SetWriteDeadline(time.Time{})
	if err != nil {
		c.broken.Store(true)
		_ = c.nc.Close()
		if c.interrupted.Load() {
			return ErrClosed
		}
		return &ConnError{Op: "write", Addr: c.addr, Cmd: commandName(cmd), Err: err}
	}
	return nil
}
