package redmux

import (
	"context"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// Pipeline sends several commands back to back on one connection, as one
// entry of its manager's FIFO (invariant 6): nothing from other callers
// interleaves with them, and the replies come back in order, one Value per
// command. A command the server rejects does not fail the others: its
// Value's Err method returns the *RedisError. The error result is for the
// pipeline as a whole (connection, context, closed client). Commands that
// need a dedicated connection (blocking or connection-state commands) are
// refused with ErrNeedsDedicated.
func (c *Client) Pipeline(ctx context.Context, cmds ...[]any) ([]Value, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	req := manager.NewRequest()
	req.ReadOnly = true
	for _, args := range cmds {
		if err := checkPipelined(args); err != nil {
			req.Release()
			return nil, err
		}
		var err error
		if req.Cmd, err = resp.AppendCommand(req.Cmd, args...); err != nil {
			req.Release()
			return nil, err
		}
		req.ReadOnly = req.ReadOnly && isReadOnly(args)
	}
	req.Replies = len(cmds)
	if c.closed.Load() {
		req.Release()
		return nil, ErrClosed
	}
	ctx, cancel := c.withCommandTimeout(ctx)
	defer cancel()
	return c.pool.DoMulti(ctx, req)
}

// checkPipelined refuses what cannot share a pipeline.
func checkPipelined(args []any) error {
	if len(args) == 0 {
		return ErrEmptyCommand
	}
	if routeOf(args) != routeShared {
		return &pipelineRouteError{name: commandLabel(args)}
	}
	return nil
}

type pipelineRouteError struct{ name string }

func (e *pipelineRouteError) Error() string {
	return ErrNeedsDedicated.Error() + ": " + e.name + " cannot be pipelined"
}

func (e *pipelineRouteError) Unwrap() error { return ErrNeedsDedicated }
