package redmux

import (
	"context"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// This file holds the one definition of every typed command. A command is
// defined once, as an unexported constructor returning a cmd (or
// maybeCmd): its encoded request and the function that decodes its reply.
// The constructor is then exposed twice, in one line each: as a method of
// commands, which Client and DedicatedConn embed, and as a method of
// Batch. Nothing else encodes a command or decodes its reply.

// runner sends one encoded request and returns its reply, with an error
// reply turned into a *RedisError. It takes ownership of req. Client and
// DedicatedConn are runners.
type runner interface {
	run(ctx context.Context, req *manager.Request) (Value, error)
	// runBlocking runs a command that may make the server wait up to
	// wait (0: no limit) before it answers: never on a shared pipeline.
	runBlocking(ctx context.Context, req *manager.Request, wait time.Duration) (Value, error)
}

// commands carries the typed command helpers. Client and DedicatedConn
// embed it, so each helper is written once and runs on both.
type commands struct{ r runner }

// cmd is one encoded command whose reply decodes to a T.
type cmd[T any] struct {
	req    *manager.Request
	decode func(Value) (T, error)
}

// maybeCmd is one encoded command whose reply may be absent (a null
// reply), such as GET of a missing key.
type maybeCmd[T any] struct {
	req    *manager.Request
	decode func(Value) (T, bool, error)
}

// run sends c on r and decodes its reply.
func run[T any](ctx context.Context, r runner, c cmd[T]) (T, error) {
	v, err := r.run(ctx, c.req)
	if err != nil {
		var zero T
		return zero, err
	}
	return c.decode(v)
}

// runBlocking sends a blocking command c on r (see runner.runBlocking).
func runBlocking[T any](ctx context.Context, r runner, c cmd[T], wait time.Duration) (T, error) {
	v, err := r.runBlocking(ctx, c.req, wait)
	if err != nil {
		var zero T
		return zero, err
	}
	return c.decode(v)
}

// runMaybeBlocking is runBlocking for a reply that may be absent (a
// blocking pop that timed out).
func runMaybeBlocking[T any](ctx context.Context, r runner, c maybeCmd[T], wait time.Duration) (T, bool, error) {
	v, err := r.runBlocking(ctx, c.req, wait)
	if err != nil {
		var zero T
		return zero, false, err
	}
	return c.decode(v)
}

// runMaybe sends c on r and decodes its reply, reporting absence.
func runMaybe[T any](ctx context.Context, r runner, c maybeCmd[T]) (T, bool, error) {
	v, err := r.run(ctx, c.req)
	if err != nil {
		var zero T
		return zero, false, err
	}
	return c.decode(v)
}

// command starts a request for a command with a fixed number of
// arguments: the array header and the command name. name must be upper
// case.
func command(name string, nargs int) *manager.Request {
	req := manager.NewRequest()
	_, req.ReadOnly = readOnlyCommands[name]
	req.Cmd = resp.AppendArrayHeader(req.Cmd, nargs+1)
	req.Cmd = resp.AppendBulkString(req.Cmd, name)
	return req
}

// withKeys starts a request for name followed by keys.
func withKeys(name string, keys []string) *manager.Request {
	req := command(name, len(keys))
	for _, k := range keys {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
	}
	return req
}

// anyCommand encodes a command given to Do: name, then args by the
// argument rules of resp.AppendArg.
func anyCommand(name string, args []any) (*manager.Request, error) {
	req := manager.NewRequest()
	var err error
	if req.Cmd, err = appendAnyCommand(req.Cmd, name, args); err != nil {
		req.Release()
		return nil, err
	}
	req.ReadOnly = isReadOnly(name)
	return req, nil
}

// Reply decoders shared by many commands.

func decodeValue(v Value) (Value, error)    { return v, nil }
func decodeNothing(Value) (struct{}, error) { return struct{}{}, nil }
func decodeInt(v Value) (int64, error)      { return v.Int64() }
func decodeOne(v Value) (bool, error) {
	n, err := v.Int64()
	return n == 1, err
}

func decodeBytesOrAbsent(v Value) ([]byte, bool, error) {
	if v.IsNull() {
		return nil, false, nil
	}
	b, err := v.Bytes()
	return b, err == nil, err
}

// Doer runs any command. Client and DedicatedConn satisfy it (and so will
// every other handle that runs commands), so code that needs only Do can
// take a Doer.
type Doer interface {
	Do(ctx context.Context, name string, args ...any) (Value, error)
}

var (
	_ Doer = (*Client)(nil)
	_ Doer = (*DedicatedConn)(nil)
)
