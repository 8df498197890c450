package redmux_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/resp"
)

const scriptingLibrary = `#!lua name=redmuxtest
redis.register_function('settwice', function(keys, args)
  redis.call('SET', keys[1], args[1] .. args[1])
  return redis.call('GET', keys[1])
end)
redis.register_function('fail', function(keys, args)
  return redis.error_reply('ERR library says no')
end)`

// TestTypedScriptingCommands: EVAL, EVALSHA, FCALL, SCRIPT LOAD and
// SCRIPT EXISTS on a Client, in a Batch and on a DedicatedConn, in both
// protocols: replies of every shape come back as a Value, script errors
// as a *RedisError, and arguments follow Do's rules.
func TestTypedScriptingCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		k := func(name string) string { return prefix + name }
		var rerr *redmux.RedisError
		_, err := c.Do(ctx, "FUNCTION", "LOAD", "REPLACE", scriptingLibrary)
		require.NoError(t, err)

		t.Run("Client", func(t *testing.T) {
			v, err := c.Eval(ctx, "return redis.call('SET', KEYS[1], ARGV[1])", []string{k("e")}, []byte("val"))
			require.NoError(t, err)
			s, err := v.Text()
			require.NoError(t, err)
			assert.Equal(t, "OK", s)

			// Arguments by Do's rules: integers, floats, bools, strings.
			v, err = c.Eval(ctx, "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4]}",
				[]string{k("a"), k("b")}, 42, 1.5, true, "s")
			require.NoError(t, err)
			got, err := v.Strings()
			require.NoError(t, err)
			assert.Equal(t, []string{k("a"), k("b"), "42", "1.5", "1", "s"}, got)

			v, err = c.Eval(ctx, "return 7", nil)
			require.NoError(t, err)
			n, err := v.Int64()
			require.NoError(t, err)
			assert.EqualValues(t, 7, n)
			v, err = c.Eval(ctx, "return redis.call('GET', KEYS[1])", []string{k("missing")})
			require.NoError(t, err)
			assert.True(t, v.IsNull(), "a false (nil GET) reply is null")

			_, err = c.Eval(ctx, "return redis.error_reply('ERR custom failure')", nil)
			require.ErrorAs(t, err, &rerr)
			assert.Contains(t, rerr.Error(), "custom failure")
			_, err = c.Eval(ctx, "this is not lua", nil)
			assert.ErrorAs(t, err, &rerr)
			_, err = c.Eval(ctx, "return 1", nil, time.Second)
			var aerr *resp.ArgTypeError
			require.ErrorAs(t, err, &aerr, "a Duration is refused, as by Do")
			assert.Equal(t, 3, aerr.Index, "EVAL script numkeys arg: the argument's position")

			sha, err := c.ScriptLoad(ctx, "return ARGV[1] .. KEYS[1]")
			require.NoError(t, err)
			assert.Len(t, sha, 40)
			v, err = c.EvalSha(ctx, sha, []string{"k"}, "x")
			require.NoError(t, err)
			s, err = v.Text()
			require.NoError(t, err)
			assert.Equal(t, "xk", s)
			_, err = c.EvalSha(ctx, "0000000000000000000000000000000000000000", nil)
			require.ErrorAs(t, err, &rerr)
			assert.Contains(t, rerr.Error(), "NOSCRIPT")

			exists, err := c.ScriptExists(ctx, sha, "0000000000000000000000000000000000000000", sha)
			require.NoError(t, err)
			assert.Equal(t, []bool{true, false, true}, exists)

			v, err = c.FCall(ctx, "settwice", []string{k("f")}, "ab")
			require.NoError(t, err)
			s, err = v.Text()
			require.NoError(t, err)
			assert.Equal(t, "abab", s)
			_, err = c.FCall(ctx, "fail", nil)
			require.ErrorAs(t, err, &rerr)
			assert.Contains(t, rerr.Error(), "library says no")
			_, err = c.FCall(ctx, "nosuchfunction", nil)
			assert.ErrorAs(t, err, &rerr)
		})

		t.Run("Batch", func(t *testing.T) {
			b := redmux.NewBatch()
			load := b.ScriptLoad("return tonumber(ARGV[1]) + 1")
			eval := b.Eval("return tonumber(ARGV[1]) * 2", nil, 21)
			evalErr := b.Eval("return redis.error_reply('ERR nope')", nil)
			fcall := b.FCall("settwice", []string{k("bf")}, []byte("z"))
			exists := b.ScriptExists("0000000000000000000000000000000000000000")
			require.NoError(t, c.RunBatch(ctx, b))
			sha, err := load.Result()
			require.NoError(t, err)
			n, err := eval.Val().Int64()
			require.NoError(t, err)
			assert.EqualValues(t, 42, n)
			assert.ErrorAs(t, evalErr.Err(), &rerr)
			s, err := fcall.Val().Text()
			require.NoError(t, err)
			assert.Equal(t, "zz", s)
			assert.Equal(t, []bool{false}, exists.Val())

			b = redmux.NewBatch()
			evalSha := b.EvalSha(sha, nil, 1)
			exists = b.ScriptExists(sha)
			require.NoError(t, c.RunBatch(ctx, b))
			n, err = evalSha.Val().Int64()
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)
			assert.Equal(t, []bool{true}, exists.Val())

			bad := redmux.NewBatch()
			ping := bad.Ping()
			refused := bad.Eval("return 1", nil, struct{}{})
			var aerr *resp.ArgTypeError
			require.ErrorAs(t, c.RunBatch(ctx, bad), &aerr, "an argument that cannot be encoded fails the run")
			assert.ErrorAs(t, refused.Err(), &aerr)
			assert.ErrorAs(t, ping.Err(), &aerr, "nothing was sent")
		})

		t.Run("DedicatedConn", func(t *testing.T) {
			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
				sha, err := conn.ScriptLoad(ctx, "return #KEYS")
				require.NoError(t, err)
				v, err := conn.EvalSha(ctx, sha, []string{"a", "b", "c"})
				require.NoError(t, err)
				n, err := v.Int64()
				require.NoError(t, err)
				assert.EqualValues(t, 3, n)
				v, err = conn.Eval(ctx, "return {1, 'two', {3}}", nil)
				require.NoError(t, err)
				elems, err := v.Array()
				require.NoError(t, err)
				assert.Len(t, elems, 3)
				v, err = conn.FCall(ctx, "settwice", []string{k("df")}, 5)
				require.NoError(t, err)
				s, err := v.Text()
				require.NoError(t, err)
				assert.Equal(t, "55", s)
				exists, err := conn.ScriptExists(ctx, sha)
				require.NoError(t, err)
				assert.Equal(t, []bool{true}, exists)
				return nil
			}))
		})
	})
}
