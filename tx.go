package redmux

import (
	"context"
	"errors"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// ErrTxAborted is returned by Tx.Exec when EXEC answered null: a key the
// transaction watched changed after WATCH, and nothing queued ran. Retry
// the whole Watch.
var ErrTxAborted = errors.New("redmux: transaction aborted: a watched key changed")

// Tx is a transaction in progress inside Client.Watch: a dedicated
// connection on which the watched keys are WATCHed. Do and the typed
// commands run at once on it (to read the values the transaction depends
// on); Exec sends MULTI, the queued commands and EXEC in one write. A Tx
// must be used only by the goroutine running Watch's function, and not
// kept after it returns.
type Tx struct {
	commands // the typed commands, run at once on the watched connection

	conn *DedicatedConn
}

// Watch runs fn once with a Tx whose connection WATCHes keys, then UNWATCHes
// (or closes the connection if fn left it in a MULTI). It returns fn's
// error unchanged, or WATCH's. It does not retry: when Exec returns
// ErrTxAborted, call Watch again:
//
//	for {
//		err := c.Watch(ctx, func(tx *redmux.Tx) error {
//			n, _, err := tx.Get(ctx, "counter")
//			if err != nil {
//				return err
//			}
//			next := parse(n) + 1
//			_, err = tx.Exec(ctx, []any{"SET", "counter", next})
//			return err
//		}, "counter")
//		if !errors.Is(err, redmux.ErrTxAborted) {
//			return err
//		}
//	}
func (c *Client) Watch(ctx context.Context, fn func(tx *Tx) error, keys ...string) error {
	return c.Dedicated(ctx, func(conn *DedicatedConn) error {
		args := make([]any, len(keys))
		for i, k := range keys {
			args[i] = k
		}
		if _, err := conn.Do(ctx, "WATCH", args...); err != nil {
			return err
		}
		tx := &Tx{conn: conn}
		tx.commands = commands{r: tx}
		err := fn(tx)
		if conn.state.watching && !conn.state.inMulti {
			unwatchCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unwatchTimeout)
			_, _ = conn.Do(unwatchCtx, "UNWATCH") // a failure breaks the connection, which is then closed
			cancel()
		}
		return err
	})
}

// unwatchTimeout bounds the UNWATCH after a Watch's function, which runs
// even when the caller's context has ended.
const unwatchTimeout = 5 * time.Second

// Do runs a command at once on the watched connection.
func (tx *Tx) Do(ctx context.Context, name string, args ...any) (Value, error) {
	return tx.conn.Do(ctx, name, args...)
}

func (tx *Tx) run(ctx context.Context, req *manager.Request) (Value, error) {
	return tx.conn.run(ctx, req)
}

func (tx *Tx) runBlocking(ctx context.Context, req *manager.Request, _ time.Duration) (Value, error) {
	return tx.conn.run(ctx, req)
}

// Exec sends MULTI, cmds (each a name and its arguments, as in
// Client.Pipeline) and EXEC in one write, and returns EXEC's replies, one
// per command. ErrTxAborted means a watched key changed and nothing ran. A
// command the server refused when it ran fails only its own Value (its Err
// method); one it refused when queueing (a wrong number of arguments)
// aborts the whole transaction with the server's EXECABORT error.
func (tx *Tx) Exec(ctx context.Context, cmds ...[]any) ([]Value, error) {
	req, err := multiRequest(cmds)
	if err != nil {
		return nil, err
	}
	replies, err := tx.conn.exchange(ctx, req, req.Replies)
	req.Release()
	tx.conn.state.watching = false // EXEC, or the failure that broke the connection, ends the WATCH
	if err != nil {
		tx.conn.state.tainted = true
		return nil, err
	}
	return execResult(replies)
}

// Multi runs cmds in a MULTI/EXEC transaction on the shared connections:
// MULTI, the commands and EXEC go as one entry of one manager's queue, so
// nothing else interleaves and no dedicated connection is used. It returns
// EXEC's replies, with a command's server error in its own Value, as
// Tx.Exec does. A transaction is never sent twice, even when its
// connection fails: a *ConnError with Sent set means it may have run.
func (c *Client) Multi(ctx context.Context, cmds ...[]any) ([]Value, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	req, err := multiRequest(cmds)
	if err != nil {
		return nil, err
	}
	replies, err := c.doMulti(ctx, req)
	if err != nil {
		return nil, err
	}
	return execResult(replies)
}

// multiRequest encodes MULTI, cmds and EXEC as one request. Commands that
// cannot run inside a transaction on a shared connection are refused.
func multiRequest(cmds [][]any) (*manager.Request, error) {
	req := manager.NewRequest()
	req.Cmd = resp.AppendCommandStrings(req.Cmd, "MULTI")
	for _, entry := range cmds {
		var err error
		if req.Cmd, _, err = appendSharedEntry(req.Cmd, entry); err != nil {
			req.Release()
			return nil, err
		}
	}
	req.Cmd = resp.AppendCommandStrings(req.Cmd, "EXEC")
	req.Replies = len(cmds) + 2
	return req, nil // never ReadOnly: a transaction is not resent
}

// execResult reads the replies of MULTI, the queued commands and EXEC.
func execResult(replies []Value) ([]Value, error) {
	if err := replies[0].Err(); err != nil {
		return nil, err // MULTI refused
	}
	exec := replies[len(replies)-1]
	if err := exec.Err(); err != nil {
		return nil, err // EXECABORT: a command was refused when queued
	}
	if exec.IsNull() {
		return nil, ErrTxAborted
	}
	return exec.Array()
}
