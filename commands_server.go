package redmux

import (
	"context"

	"github.com/redmux/redmux/resp"
)

// Ping checks that a manager's connection answers (PING).
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, command("PING", 0))
	return err
}

// Echo asks the server to return message (ECHO).
func (c *Client) Echo(ctx context.Context, message string) (string, error) {
	req := command("ECHO", 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, message)
	v, err := c.do(ctx, req)
	if err != nil {
		return "", err
	}
	return v.Text()
}
