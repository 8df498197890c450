package redmux

import (
	"context"
	"errors"

	"github.com/redmux/redmux/resp"
)

// Scripting: EVAL, EVALSHA and FCALL take the keys the script touches as
// strings and its other arguments by the argument rules of Do (string,
// []byte, integers, floats, bool); an argument of another type is a
// *resp.ArgTypeError and nothing is sent. They return the script's reply
// as a Value, whatever its shape; an error raised by the script is a
// *RedisError. None of them is read-only: after a lost connection they are
// never sent again.

// Eval runs the Lua script with keys and args (EVAL).
func (c *commands) Eval(ctx context.Context, script string, keys []string, args ...any) (Value, error) {
	cmd, err := scriptCmd("EVAL", script, keys, args)
	if err != nil {
		return Value{}, err
	}
	return run(ctx, c.r, cmd)
}

// Eval queues EVAL; see Client.Eval.
func (b *Batch) Eval(script string, keys []string, args ...any) *Reply[Value] {
	c, err := scriptCmd("EVAL", script, keys, args)
	return addOrFail(b, c, err)
}

// EvalSha runs the script the server cached under sha1 (see ScriptLoad)
// with keys and args (EVALSHA). A script the server does not hold is a
// *RedisError whose message starts with NOSCRIPT.
func (c *commands) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) (Value, error) {
	cmd, err := scriptCmd("EVALSHA", sha1, keys, args)
	if err != nil {
		return Value{}, err
	}
	return run(ctx, c.r, cmd)
}

// EvalSha queues EVALSHA; see Client.EvalSha.
func (b *Batch) EvalSha(sha1 string, keys []string, args ...any) *Reply[Value] {
	c, err := scriptCmd("EVALSHA", sha1, keys, args)
	return addOrFail(b, c, err)
}

// FCall calls the library function named function with keys and args
// (FCALL, Redis 7).
func (c *commands) FCall(ctx context.Context, function string, keys []string, args ...any) (Value, error) {
	cmd, err := scriptCmd("FCALL", function, keys, args)
	if err != nil {
		return Value{}, err
	}
	return run(ctx, c.r, cmd)
}

// FCall queues FCALL; see Client.FCall.
func (b *Batch) FCall(function string, keys []string, args ...any) *Reply[Value] {
	c, err := scriptCmd("FCALL", function, keys, args)
	return addOrFail(b, c, err)
}

// scriptCmd encodes name (EVAL, EVALSHA or FCALL): the script, sha1 or
// function, the number of keys, the keys, then args by the rules of
// resp.AppendArg. An ArgTypeError's Index is the argument's position in
// the command, the name being 0.
func scriptCmd(name, script string, keys []string, args []any) (cmd[Value], error) {
	req := command(name, 2+len(keys)+len(args))
	req.Cmd = resp.AppendBulkString(req.Cmd, script)
	req.Cmd = resp.AppendBulkInt(req.Cmd, int64(len(keys)))
	for _, k := range keys {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
	}
	for i, a := range args {
		var err error
		if req.Cmd, err = resp.AppendArg(req.Cmd, a); err != nil {
			req.Release()
			var aerr *resp.ArgTypeError
			if errors.As(err, &aerr) {
				aerr.Index = 3 + len(keys) + i
			}
			return cmd[Value]{}, err
		}
	}
	return cmd[Value]{req, decodeValue}, nil
}

// ScriptLoad caches script on the server without running it and returns
// its SHA1 digest, for EvalSha (SCRIPT LOAD).
func (c *commands) ScriptLoad(ctx context.Context, script string) (string, error) {
	return run(ctx, c.r, scriptLoadCmd(script))
}

// ScriptLoad queues SCRIPT LOAD; see Client.ScriptLoad.
func (b *Batch) ScriptLoad(script string) *Reply[string] { return add(b, scriptLoadCmd(script)) }

func scriptLoadCmd(script string) cmd[string] {
	req := command("SCRIPT", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, "LOAD")
	req.Cmd = resp.AppendBulkString(req.Cmd, script)
	return cmd[string]{req, decodeText}
}

// ScriptExists reports, for each of sha1s in order, whether the server
// holds that script (SCRIPT EXISTS).
func (c *commands) ScriptExists(ctx context.Context, sha1s ...string) ([]bool, error) {
	return run(ctx, c.r, scriptExistsCmd(sha1s))
}

// ScriptExists queues SCRIPT EXISTS; see Client.ScriptExists.
func (b *Batch) ScriptExists(sha1s ...string) *Reply[[]bool] { return add(b, scriptExistsCmd(sha1s)) }

func scriptExistsCmd(sha1s []string) cmd[[]bool] {
	req := command("SCRIPT", 1+len(sha1s))
	req.Cmd = resp.AppendBulkString(req.Cmd, "EXISTS")
	for _, s := range sha1s {
		req.Cmd = resp.AppendBulkString(req.Cmd, s)
	}
	return cmd[[]bool]{req, decodeBools}
}

// decodeBools decodes an array of flags: RESP3 booleans or the integers 0
// and 1 that RESP2 (and Redis 7 in RESP3, for SCRIPT EXISTS) sends.
func decodeBools(v Value) ([]bool, error) {
	elems, err := v.Array()
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(elems))
	for i, e := range elems {
		if out[i], err = e.Bool(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
