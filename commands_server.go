package redmux

import (
	"context"
	"fmt"
	"time"

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

// Info returns the server's INFO report for sections (all the default
// sections when none is given), as text. RESP3 servers answer with a
// verbatim string; its format prefix is not part of the result.
func (c *commands) Info(ctx context.Context, sections ...string) (string, error) {
	return run(ctx, c.r, infoCmd(sections))
}

// Info queues INFO; see Client.Info.
func (b *Batch) Info(sections ...string) *Reply[string] { return add(b, infoCmd(sections)) }

func infoCmd(sections []string) cmd[string] {
	return cmd[string]{withKeys("INFO", sections), decodeText} // sections, not keys
}

// DBSize returns the number of keys in the connection's database.
func (c *commands) DBSize(ctx context.Context) (int64, error) {
	return run(ctx, c.r, cmd[int64]{command("DBSIZE", 0), decodeInt})
}

// DBSize queues DBSIZE; see Client.DBSize.
func (b *Batch) DBSize() *Reply[int64] { return add(b, cmd[int64]{command("DBSIZE", 0), decodeInt}) }

// FlushDB deletes every key of the connection's database. With async the
// server frees the memory in the background (FLUSHDB ASYNC); without it,
// plain FLUSHDB is sent, which is synchronous unless the server sets
// lazyfree-lazy-user-flush.
func (c *commands) FlushDB(ctx context.Context, async bool) error {
	_, err := run(ctx, c.r, flushDBCmd(async))
	return err
}

// FlushDB queues FLUSHDB; see Client.FlushDB.
func (b *Batch) FlushDB(async bool) *Reply[struct{}] { return add(b, flushDBCmd(async)) }

func flushDBCmd(async bool) cmd[struct{}] {
	if !async {
		return cmd[struct{}]{command("FLUSHDB", 0), decodeNothing}
	}
	req := command("FLUSHDB", 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, "ASYNC")
	return cmd[struct{}]{req, decodeNothing}
}

// Time returns the server's clock (TIME), with microsecond precision.
func (c *commands) Time(ctx context.Context) (time.Time, error) {
	return run(ctx, c.r, cmd[time.Time]{command("TIME", 0), decodeTime})
}

// Time queues TIME; see Client.Time.
func (b *Batch) Time() *Reply[time.Time] {
	return add(b, cmd[time.Time]{command("TIME", 0), decodeTime})
}

// decodeTime decodes TIME's reply: seconds and microseconds, as strings.
func decodeTime(v Value) (time.Time, error) {
	elems, err := v.Array()
	if err != nil {
		return time.Time{}, err
	}
	if len(elems) != 2 {
		return time.Time{}, fmt.Errorf("redmux: TIME answered %d elements, want 2", len(elems))
	}
	sec, err := elems[0].Int64()
	if err != nil {
		return time.Time{}, err
	}
	usec, err := elems[1].Int64()
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, usec*int64(time.Microsecond/time.Nanosecond)), nil
}
