package redmux

import (
	"context"

	"github.com/redmux/redmux/resp"
)

// HyperLogLog commands. Elements are names, so strings; counts are int64.

// PFAdd adds elements to the HyperLogLog at key and reports whether its
// estimate changed (or the key was created).
func (c *commands) PFAdd(ctx context.Context, key string, elements ...string) (bool, error) {
	return run(ctx, c.r, pfaddCmd(key, elements))
}

// PFAdd queues PFADD; see Client.PFAdd.
func (b *Batch) PFAdd(key string, elements ...string) *Reply[bool] {
	return add(b, pfaddCmd(key, elements))
}

func pfaddCmd(key string, elements []string) cmd[bool] {
	req := command("PFADD", 1+len(elements))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	for _, e := range elements {
		req.Cmd = resp.AppendBulkString(req.Cmd, e)
	}
	return cmd[bool]{req, decodeOne}
}

// PFCount returns the estimated number of distinct elements in the union
// of the HyperLogLogs at keys (a missing key counts as empty).
func (c *commands) PFCount(ctx context.Context, keys ...string) (int64, error) {
	return run(ctx, c.r, keysIntCmd("PFCOUNT", keys))
}

// PFCount queues PFCOUNT; see Client.PFCount.
func (b *Batch) PFCount(keys ...string) *Reply[int64] { return add(b, keysIntCmd("PFCOUNT", keys)) }
