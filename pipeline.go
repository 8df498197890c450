package redmux

import (
	"context"
	"errors"
	"fmt"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// Pipeline sends several commands back to back on one connection, as one
// entry of its manager's queue: nothing from other callers interleaves
// with them, and the replies come back in order, one Value per command.
// Each command is a slice holding its name (a string or []byte) and then
// its arguments, with the argument rules of Do. A command the server
// rejects does not fail the others: its Value's Err method returns the
// *RedisError. The error result is for the pipeline as a whole (connection,
// context, closed client, an argument that cannot be encoded). Commands that
// need a dedicated connection (blocking or connection-state commands) are
// refused with ErrNeedsDedicated. For typed replies, use a Batch.
func (c *Client) Pipeline(ctx context.Context, cmds ...[]any) ([]Value, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	req, err := pipelineRequest(cmds)
	if err != nil {
		return nil, err
	}
	return c.doMulti(ctx, req)
}

// pipelineRequest encodes the entries of a Pipeline as one request of
// len(cmds) commands, read-only if every command is. Client and
// ClusterClient share it.
func pipelineRequest(cmds [][]any) (*manager.Request, error) {
	req := manager.NewRequest()
	req.ReadOnly = true
	for _, entry := range cmds {
		var name string
		var err error
		if req.Cmd, name, err = appendSharedEntry(req.Cmd, entry); err != nil {
			req.Release()
			return nil, err
		}
		req.ReadOnly = req.ReadOnly && isReadOnly(name)
	}
	req.Replies = len(cmds)
	return req, nil
}

// appendSharedEntry encodes one entry of Pipeline or Multi, refusing what
// cannot share a connection's pipeline (blocking and connection-state
// commands, subscriptions). It returns the command's name.
func appendSharedEntry(dst []byte, entry []any) ([]byte, string, error) {
	name, args, err := splitEntry(entry)
	switch {
	case err != nil:
	case isSubscribe(name):
		err = errSubscribeHere(name)
	case routeOf(name, args) != routeShared:
		err = &pipelineRouteError{name: commandLabel(name)}
	}
	if err == nil {
		dst, err = appendAnyCommand(dst, name, args)
	}
	return dst, name, err
}

// doMulti sends a request of several commands and returns their replies,
// error replies included as Values.
func (c *Client) doMulti(ctx context.Context, req *manager.Request) ([]Value, error) {
	ctx, cancel := c.withCommandTimeout(ctx)
	defer cancel()
	if h := c.shared.hooks; h != nil {
		return h.runPipeline(ctx, req, false, func(ctx context.Context) ([]Value, error) { return c.sendMulti(ctx, req) })
	}
	return c.sendMulti(ctx, req)
}

// sendMulti sends a request of several commands, unless the handle is
// closed.
func (c *Client) sendMulti(ctx context.Context, req *manager.Request) ([]Value, error) {
	if c.closed.Load() {
		req.Release()
		return nil, ErrClosed
	}
	return c.pool.DoMulti(ctx, req)
}

// splitEntry splits a pipeline entry into its command name and arguments.
func splitEntry(entry []any) (string, []any, error) {
	if len(entry) == 0 {
		return "", nil, ErrEmptyCommand
	}
	switch name := entry[0].(type) {
	case string:
		return name, entry[1:], nil
	case []byte:
		return string(name), entry[1:], nil
	}
	return "", nil, fmt.Errorf("redmux: a command name must be a string or []byte, not %T", entry[0])
}

// appendAnyCommand encodes name and args with the argument rules of Do.
func appendAnyCommand(dst []byte, name string, args []any) ([]byte, error) {
	dst = resp.AppendArrayHeader(dst, len(args)+1)
	dst = resp.AppendBulkString(dst, name)
	for i, a := range args {
		var err error
		if dst, err = resp.AppendArg(dst, a); err != nil {
			var ate *resp.ArgTypeError
			if errors.As(err, &ate) {
				ate.Index = i + 1 // the name is argument 0
			}
			return dst, err
		}
	}
	return dst, nil
}

type pipelineRouteError struct{ name string }

func (e *pipelineRouteError) Error() string {
	return ErrNeedsDedicated.Error() + ": " + e.name + " cannot be pipelined"
}

func (e *pipelineRouteError) Unwrap() error { return ErrNeedsDedicated }
