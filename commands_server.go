package redmux

import (
	"context"

	"github.com/redmux/redmux/resp"
)

// Ping checks that a connection answers (PING).
func (c *commands) Ping(ctx context.Context) error {
	_, err := run(ctx, c.r, pingCmd())
	return err
}

// Ping queues PING; see Client.Ping.
func (b *Batch) Ping() *Reply[struct{}] { return add(b, pingCmd()) }

func pingCmd() cmd[struct{}] { return cmd[struct{}]{command("PING", 0), decodeNothing} }

// Echo asks the server to return message (ECHO).
func (c *commands) Echo(ctx context.Context, message string) (string, error) {
	return run(ctx, c.r, echoCmd(message))
}

// Echo queues ECHO; see Client.Echo.
func (b *Batch) Echo(message string) *Reply[string] { return add(b, echoCmd(message)) }

func echoCmd(message string) cmd[string] {
	req := command("ECHO", 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, message)
	return cmd[string]{req, decodeText}
}

func decodeText(v Value) (string, error) { return v.Text() }
