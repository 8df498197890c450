package redmux

import (
	"context"

	"github.com/redmux/redmux/resp"
)

// Publish posts message to channel and returns how many subscribers
// received it. message follows the argument rules of Do.
func (c *commands) Publish(ctx context.Context, channel string, message any) (int64, error) {
	cmd, err := publishCmd("PUBLISH", channel, message)
	if err != nil {
		return 0, err
	}
	return run(ctx, c.r, cmd)
}

// SPublish posts message to the shard channel (sharded pub/sub, Redis 7)
// and returns how many subscribers received it.
func (c *commands) SPublish(ctx context.Context, channel string, message any) (int64, error) {
	cmd, err := publishCmd("SPUBLISH", channel, message)
	if err != nil {
		return 0, err
	}
	return run(ctx, c.r, cmd)
}

// Publish queues PUBLISH; see Client.Publish.
func (b *Batch) Publish(channel string, message any) *Reply[int64] {
	c, err := publishCmd("PUBLISH", channel, message)
	return addOrFail(b, c, err)
}

// SPublish queues SPUBLISH; see Client.SPublish.
func (b *Batch) SPublish(channel string, message any) *Reply[int64] {
	c, err := publishCmd("SPUBLISH", channel, message)
	return addOrFail(b, c, err)
}

func publishCmd(name, channel string, message any) (cmd[int64], error) {
	req := command(name, 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, channel)
	var err error
	if req.Cmd, err = resp.AppendArg(req.Cmd, message); err != nil {
		req.Release()
		return cmd[int64]{}, err
	}
	return cmd[int64]{req, decodeInt}, nil
}
