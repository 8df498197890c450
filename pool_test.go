package redmux_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
)

// testTimeout bounds every test's context: nothing here may hang.
const testTimeout = 30 * time.Second

// backend is a server the end-to-end tests run against.
type backend struct {
	name string
	addr string
}

// backends starts a miniredis and a real redis-server for one test.
func backends(t *testing.T) []backend {
	t.Helper()
	mini := miniredis.RunT(t)
	real := redistest.StartT(t)
	return []backend{{"miniredis", mini.Addr()}, {"redis-server", real.Addr}}
}

// forEachBackend runs fn as a subtest against each backend with a fresh
// client, closed (and checked for leaks) at the end.
func forEachBackend(t *testing.T, cfg redmux.Config, fn func(t *testing.T, ctx context.Context, c *redmux.Client)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			cfg := cfg
			cfg.Addr = b.addr
			before := goleak.IgnoreCurrent()
			c, err := redmux.New(ctx, cfg)
			require.NoError(t, err)
			defer func() {
				require.NoError(t, c.Close())
				goleak.VerifyNone(t, before)
			}()
			fn(t, ctx, c)
		})
	}
}

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

func TestClosedHandleReturnsErrClosed(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		clone := c.Clone()
		require.NoError(t, clone.Close())
		require.NoError(t, clone.Close(), "Close is idempotent")
		_, _, err := clone.Get(ctx, "k")
		assert.ErrorIs(t, err, redmux.ErrClosed)
		assert.ErrorIs(t, clone.Set(ctx, "k", nil), redmux.ErrClosed)
		// Closing one clone does not disturb the others.
		require.NoError(t, c.Set(ctx, "k", []byte("still works")))
		again := clone.Clone()
		_, err = again.Do(ctx, "PING")
		assert.ErrorIs(t, err, redmux.ErrClosed, "a clone of a closed handle is closed")
		require.NoError(t, again.Close())
	})
}

func TestConnectFailureIsConnErrorAndLeavesNothingRunning(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	_, err = redmux.Connect(ctx, addr)
	var cerr *redmux.ConnError
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, "dial", cerr.Op)
	assert.Equal(t, addr, cerr.Addr)
	assert.Contains(t, err.Error(), addr)
	assert.Contains(t, err.Error(), "refused")

	// Name resolution fails without leaving the machine: the resolver's
	// own connection is refused.
	offlineResolver := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no name server in tests")
	}}
	_, err = redmux.New(ctx, redmux.Config{Addr: "redis.example:6379", Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
		d := net.Dialer{Resolver: offlineResolver}
		return d.DialContext(ctx, "tcp", addr)
	}})
	require.ErrorAs(t, err, &cerr)
	var dnsErr *net.DNSError
	assert.ErrorAs(t, err, &dnsErr)
	assert.Contains(t, err.Error(), "redis.example")

	// A dial that never completes is cut off by DialTimeout.
	start := time.Now()
	_, err = redmux.New(ctx, redmux.Config{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond,
		Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
			<-ctx.Done()
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
		}})
	require.ErrorAs(t, err, &cerr)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestConnectHandshakeFailureNamesCommandNotPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	srv := redistest.StartT(t, "--requirepass", "right-password")
	_, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Password: "wrong-password"})
	var cerr *redmux.ConnError
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, "handshake", cerr.Op)
	assert.Contains(t, err.Error(), "AUTH")
	assert.NotContains(t, err.Error(), "wrong-password")

	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Password: "right-password", DB: 2, ClientName: "redmux-test"})
	require.NoError(t, err)
	defer c.Close()
	v, err := c.Do(ctx, "CLIENT", "GETNAME")
	require.NoError(t, err)
	name, _ := v.Text()
	assert.Equal(t, "redmux-test", name)
}

func TestConfigRejectsInvalidFieldsByName(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		field string
		cfg   redmux.Config
	}{
		{"Addr", redmux.Config{}},
		{"Managers", redmux.Config{Addr: "x:1", Managers: -1}},
		{"QueueLen", redmux.Config{Addr: "x:1", QueueLen: -5}},
		{"MaxInFlight", redmux.Config{Addr: "x:1", MaxInFlight: -1}},
		{"ShutdownTimeout", redmux.Config{Addr: "x:1", ShutdownTimeout: -time.Second}},
		{"DialTimeout", redmux.Config{Addr: "x:1", DialTimeout: -time.Second}},
		{"MaxBatchBytes", redmux.Config{Addr: "x:1", MaxBatchBytes: -1}},
	} {
		_, err := redmux.New(ctx, tc.cfg)
		var cerr *redmux.ConfigError
		require.ErrorAs(t, err, &cerr, tc.field)
		assert.Equal(t, tc.field, cerr.Field)
		assert.Contains(t, err.Error(), tc.field)
	}
}

func TestParseURL(t *testing.T) {
	cfg, err := redmux.ParseURL("redis://user:secret@localhost:6380/3")
	require.NoError(t, err)
	assert.Equal(t, "localhost:6380", cfg.Addr)
	assert.Equal(t, "user", cfg.Username)
	assert.Equal(t, "secret", cfg.Password)
	assert.Equal(t, 3, cfg.DB)
	cfg, err = redmux.ParseURL("redis://:pw@10.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.1:6379", cfg.Addr)
	assert.Equal(t, "pw", cfg.Password)
	_, err = redmux.ParseURL("http://x")
	assert.Error(t, err)
	_, err = redmux.ParseURL("redis://h/notanumber")
	assert.Error(t, err)
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
