package redmux_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
)

// End-to-end behaviour of the client against miniredis and a real
// redis-server: replies, errors, arguments, concurrency.

func TestGetSetRoundTrip(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		binary := []byte("a\x00b\r\nc\xff")
		require.NoError(t, c.Set(ctx, "k", binary))
		got, found, err := c.Get(ctx, "k")
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, binary, got)
	})
}

func TestGetMissingKeyIsAbsentNotEmpty(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		got, found, err := c.Get(ctx, "missing")
		require.NoError(t, err)
		assert.False(t, found)
		assert.Nil(t, got)

		require.NoError(t, c.Set(ctx, "empty", []byte{}))
		got, found, err = c.Get(ctx, "empty")
		require.NoError(t, err)
		assert.True(t, found)
		assert.NotNil(t, got)
		assert.Empty(t, got)
	})
}

func TestServerErrorIsRedisErrorAndConnectionStaysUsable(t *testing.T) {
	forEachBackend(t, redmux.Config{Managers: 1}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		require.NoError(t, c.Set(ctx, "str", []byte("x")))
		_, err := c.Do(ctx, "LPUSH", "str", "y")
		var rerr *redmux.RedisError
		require.ErrorAs(t, err, &rerr)
		assert.Equal(t, "WRONGTYPE", rerr.Prefix)

		_, _, err = c.Get(ctx, "str")
		require.NoError(t, err)
		_, err = c.Incr(ctx, "str")
		require.ErrorAs(t, err, &rerr)
		assert.Equal(t, "ERR", rerr.Prefix)
		require.NoError(t, c.Ping(ctx))
	})
}

func TestCommandHelpers(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		n, err := c.Incr(ctx, "n")
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		n, err = c.IncrBy(ctx, "n", 41)
		require.NoError(t, err)
		assert.EqualValues(t, 42, n)
		n, err = c.Decr(ctx, "n")
		require.NoError(t, err)
		assert.EqualValues(t, 41, n)

		require.NoError(t, c.MSet(ctx, map[string][]byte{"a": []byte("1"), "b": {}}))
		vals, err := c.MGet(ctx, "a", "nope", "b")
		require.NoError(t, err)
		require.Len(t, vals, 3)
		assert.Equal(t, []byte("1"), vals[0])
		assert.Nil(t, vals[1])
		assert.NotNil(t, vals[2])
		assert.Empty(t, vals[2])

		n, err = c.Exists(ctx, "a", "b", "nope")
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		n, err = c.Del(ctx, "a", "nope")
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)

		ttl, err := c.TTL(ctx, "nope")
		require.NoError(t, err)
		assert.Equal(t, redmux.TTLKeyMissing, ttl)
		ttl, err = c.TTL(ctx, "b")
		require.NoError(t, err)
		assert.Equal(t, redmux.TTLPersistent, ttl)
		ok, err := c.Expire(ctx, "b", time.Minute)
		require.NoError(t, err)
		assert.True(t, ok)
		ttl, err = c.TTL(ctx, "b")
		require.NoError(t, err)
		assert.InDelta(t, float64(time.Minute), float64(ttl), float64(5*time.Second))

		echo, err := c.Echo(ctx, "hello")
		require.NoError(t, err)
		assert.Equal(t, "hello", echo)
	})
}

func TestSetWithOptions(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		res, err := c.SetWith(ctx, "k", []byte("v1"), redmux.SetOptions{Condition: redmux.SetIfAbsent, TTL: 10 * time.Second})
		require.NoError(t, err)
		assert.True(t, res.Stored)
		res, err = c.SetWith(ctx, "k", []byte("v2"), redmux.SetOptions{Condition: redmux.SetIfAbsent})
		require.NoError(t, err)
		assert.False(t, res.Stored)
		res, err = c.SetWith(ctx, "k", []byte("v3"), redmux.SetOptions{Condition: redmux.SetIfPresent, KeepTTL: true, Get: true})
		require.NoError(t, err)
		assert.True(t, res.Stored)
		assert.True(t, res.PreviousFound)
		assert.Equal(t, []byte("v1"), res.Previous)
		ttl, err := c.TTL(ctx, "k")
		require.NoError(t, err)
		assert.Greater(t, ttl, time.Duration(0), "KEEPTTL kept the expiry")
		res, err = c.SetWith(ctx, "other", []byte("x"), redmux.SetOptions{Condition: redmux.SetIfPresent})
		require.NoError(t, err)
		assert.False(t, res.Stored)
		res, err = c.SetWith(ctx, "px", []byte("x"), redmux.SetOptions{TTL: 1500 * time.Millisecond})
		require.NoError(t, err)
		assert.True(t, res.Stored)
	})
}

func TestDoArguments(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		_, err := c.Do(ctx, "SET", "i", 42)
		require.NoError(t, err)
		v, err := c.Do(ctx, "INCRBYFLOAT", "i", 0.5)
		require.NoError(t, err)
		f, err := v.Float64()
		require.NoError(t, err)
		assert.InDelta(t, 42.5, f, 1e-9)

		_, err = c.Do(ctx, "SET", "bad", struct{}{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "struct {}")
		assert.NotContains(t, err.Error(), "{}}")

		_, err = c.Do(ctx, "HSET", "h", "f1", "v1", "f2", []byte("v2"))
		require.NoError(t, err)
		v, err = c.Do(ctx, "HGETALL", "h")
		require.NoError(t, err)
		pairs, err := v.Map()
		require.NoError(t, err)
		assert.Len(t, pairs, 2)
	})
}

// TestRegressionEmptyDoShiftsReplies: Do with no arguments used to send
// `*0\r\n`, which Redis does not answer; its FIFO entry took the next
// reply and every caller after it got the reply meant for the one before.
// Do now takes the command name as a separate string, so an empty Do does
// not compile; an empty name is sent and refused by the server, and an
// empty pipeline entry is refused before anything is sent.
func TestRegressionEmptyDoShiftsReplies(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1})
	require.NoError(t, err)
	defer c.Close()

	require.NoError(t, c.Set(ctx, "a", []byte("A")))
	// Do takes the name apart, so Do(ctx) no longer compiles; an empty
	// name reaches the server, which refuses it, without shifting replies.
	_, err = c.Do(ctx, "")
	var rerr *redmux.RedisError
	require.ErrorAs(t, err, &rerr)
	_, err = c.Pipeline(ctx, []any{"GET", "a"}, []any{})
	require.ErrorIs(t, err, redmux.ErrEmptyCommand)
	got, _, err := c.Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "A", string(got))

	err = c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		if _, err := conn.Do(ctx, ""); !errors.As(err, &rerr) {
			return fmt.Errorf("Do(\"\") on a dedicated connection: %v, want a *RedisError", err)
		}
		got, _, err := conn.Get(ctx, "a")
		if err != nil || string(got) != "A" {
			return fmt.Errorf("Get after an empty command: %q, %v", got, err)
		}
		return nil
	})
	assert.NoError(t, err)
}

// TestSharedRepliesCannotBeMutated: the bytes of one +OK reply are the
// caller's own. Value.Bytes used to hand out the interned slice shared by
// every OK reply in the process.
func TestSharedRepliesCannotBeMutated(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		v, err := c.Do(ctx, "SET", "k", "v")
		require.NoError(t, err)
		b, err := v.Bytes()
		require.NoError(t, err)
		copy(b, "XX")
		v2, err := c.Do(ctx, "SET", "k", "v")
		require.NoError(t, err)
		b2, err := v2.Bytes()
		require.NoError(t, err)
		assert.Equal(t, "OK", string(b2))
	})
}

func TestManyGoroutinesGetTheirOwnReplies(t *testing.T) {
	forEachBackend(t, redmux.Config{Managers: 3}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		const workers, ops = 50, 200
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := c.Clone()
				defer h.Close()
				for i := range ops {
					key := fmt.Sprintf("w%d", w)
					want := []byte(fmt.Sprintf("w%d-%d", w, i))
					if err := h.Set(ctx, key, want); err != nil {
						errs <- err
						return
					}
					got, _, err := h.Get(ctx, key)
					if err != nil || !bytes.Equal(got, want) {
						errs <- fmt.Errorf("worker %d op %d: got %q, %v; want %q", w, i, got, err, want)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		total := c.Stats().Total()
		assert.GreaterOrEqual(t, total.Completed, uint64(2*workers*ops))
		assert.Zero(t, total.Failed)
	})
}

func TestContextErrorsPassThroughUnchanged(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := c.Get(cancelled, "k")
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
		assert.Equal(t, context.Canceled, err)
		require.NoError(t, c.Ping(ctx))
	})
}

func TestRedisErrorMessageIsTheServers(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		_, err := c.Do(ctx, "NOSUCHCOMMAND")
		var rerr *redmux.RedisError
		require.ErrorAs(t, err, &rerr)
		assert.True(t, strings.HasPrefix(err.Error(), "ERR"), err.Error())
	})
}

// TestRegressionArgTypeErrorIndexAlwaysZero: Do reported every refused
// argument as argument 0; Index is the argument's position in the
// command, the name being 0.
func TestRegressionArgTypeErrorIndexAlwaysZero(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Do(ctx, "SET", "k", time.Second)
	var ate *redmux.ArgTypeError
	require.ErrorAs(t, err, &ate)
	assert.Equal(t, 2, ate.Index)
	assert.Contains(t, err.Error(), "time.Duration")
}
