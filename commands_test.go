package redmux_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
)

// typedHelpers is the command set Client and DedicatedConn share: one
// definition per command, run on either.
type typedHelpers interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte) error
	SetWith(ctx context.Context, key string, value []byte, opts redmux.SetOptions) (redmux.SetResult, error)
	MGet(ctx context.Context, keys ...string) ([][]byte, error)
	MSet(ctx context.Context, values map[string][]byte) error
	Incr(ctx context.Context, key string) (int64, error)
	Decr(ctx context.Context, key string) (int64, error)
	IncrBy(ctx context.Context, key string, delta int64) (int64, error)
	Del(ctx context.Context, keys ...string) (int64, error)
	Exists(ctx context.Context, keys ...string) (int64, error)
	Expire(ctx context.Context, key string, ttl time.Duration) (bool, error)
	TTL(ctx context.Context, key string) (time.Duration, error)
	Ping(ctx context.Context) error
	Echo(ctx context.Context, message string) (string, error)
}

var (
	_ typedHelpers = (*redmux.Client)(nil)
	_ typedHelpers = (*redmux.DedicatedConn)(nil)
)

// exerciseHelpers runs every typed helper on h, under keys starting with
// prefix, and checks the decoded replies.
func exerciseHelpers(t *testing.T, ctx context.Context, h typedHelpers, prefix string) {
	t.Helper()
	k := func(name string) string { return prefix + name }

	require.NoError(t, h.Ping(ctx))
	echo, err := h.Echo(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, "hello", echo)

	require.NoError(t, h.Set(ctx, k("s"), []byte("v1")))
	v, found, err := h.Get(ctx, k("s"))
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "v1", string(v))
	_, found, err = h.Get(ctx, k("missing"))
	require.NoError(t, err)
	assert.False(t, found)

	res, err := h.SetWith(ctx, k("s"), []byte("v2"), redmux.SetOptions{Get: true, TTL: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, redmux.SetResult{Stored: true, Previous: []byte("v1"), PreviousFound: true}, res)
	res, err = h.SetWith(ctx, k("s"), []byte("v3"), redmux.SetOptions{Condition: redmux.SetIfAbsent})
	require.NoError(t, err)
	assert.False(t, res.Stored, "NX on an existing key")

	ttl, err := h.TTL(ctx, k("s"))
	require.NoError(t, err)
	assert.True(t, ttl > 50*time.Second && ttl <= time.Minute, "TTL %v", ttl)
	ok, err := h.Expire(ctx, k("s"), 2*time.Minute)
	require.NoError(t, err)
	assert.True(t, ok)
	ttl, err = h.TTL(ctx, k("missing"))
	require.NoError(t, err)
	assert.Equal(t, redmux.TTLKeyMissing, ttl)

	require.NoError(t, h.MSet(ctx, map[string][]byte{k("a"): []byte("A"), k("b"): {}}))
	vals, err := h.MGet(ctx, k("a"), k("missing"), k("b"))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte("A"), nil, {}}, vals)

	n, err := h.Incr(ctx, k("n"))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	n, err = h.IncrBy(ctx, k("n"), 41)
	require.NoError(t, err)
	assert.EqualValues(t, 42, n)
	n, err = h.Decr(ctx, k("n"))
	require.NoError(t, err)
	assert.EqualValues(t, 41, n)

	n, err = h.Exists(ctx, k("a"), k("b"), k("missing"))
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	n, err = h.Del(ctx, k("a"), k("b"), k("s"), k("n"))
	require.NoError(t, err)
	assert.EqualValues(t, 4, n)

	_, err = h.Incr(ctx, k("missing")) // creates it
	require.NoError(t, err)
	require.NoError(t, h.Set(ctx, k("text"), []byte("abc")))
	_, err = h.Incr(ctx, k("text"))
	var rerr *redmux.RedisError
	assert.ErrorAs(t, err, &rerr, "INCR of a non-integer is the server's error")
}

// forEachProtocol runs fn with a client speaking RESP3, then RESP2, to
// one real server.
func forEachProtocol(t *testing.T, fn func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string)) {
	srv := redistest.StartT(t)
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 2, Protocol: proto})
			require.NoError(t, err)
			defer c.Close()
			require.Equal(t, proto, c.Protocol())
			fn(t, ctx, c, fmt.Sprintf("resp%d:", proto))
		})
	}
}

// TestOneCommandDefinitionServesClientAndDedicatedConn: the same typed
// helpers, defined once, run on a Client and on a DedicatedConn, and
// decode RESP3 and RESP2 replies alike.
func TestOneCommandDefinitionServesClientAndDedicatedConn(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		t.Run("Client", func(t *testing.T) { exerciseHelpers(t, ctx, c, prefix+"client:") })
		t.Run("DedicatedConn", func(t *testing.T) {
			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
				exerciseHelpers(t, ctx, conn, prefix+"dedicated:")
				return nil
			}))
		})
	})
}

// queueAll puts one of each typed command in b and returns a check of
// their replies after the run.
func queueAll(b *redmux.Batch, prefix string) func(t *testing.T) {
	k := func(name string) string { return prefix + name }
	set := b.Set(k("s"), []byte("v1"))
	get := b.Get(k("s"))
	missing := b.Get(k("missing"))
	setWith := b.SetWith(k("s"), []byte("v2"), redmux.SetOptions{Get: true, TTL: time.Minute})
	ttl := b.TTL(k("s"))
	expire := b.Expire(k("s"), 2*time.Minute)
	mset := b.MSet(map[string][]byte{k("a"): []byte("A")})
	mget := b.MGet(k("a"), k("missing"))
	incr := b.Incr(k("n"))
	incrBy := b.IncrBy(k("n"), 41)
	decr := b.Decr(k("n"))
	exists := b.Exists(k("a"), k("missing"))
	notInt := b.Incr(k("s")) // a server error: fails only its own reply
	del := b.Del(k("a"), k("s"), k("n"))
	ping := b.Ping()
	echo := b.Echo("hi")
	raw := b.Do("STRLEN", k("missing"))
	return func(t *testing.T) {
		require.NoError(t, set.Err())
		v, found, err := get.Result()
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "v1", string(v))
		_, found, err = missing.Result()
		assert.NoError(t, err)
		assert.False(t, found)
		assert.Equal(t, redmux.SetResult{Stored: true, Previous: []byte("v1"), PreviousFound: true}, setWith.Val())
		assert.Greater(t, ttl.Val(), 50*time.Second)
		assert.True(t, expire.Val())
		assert.NoError(t, mset.Err())
		assert.Equal(t, [][]byte{[]byte("A"), nil}, mget.Val())
		assert.EqualValues(t, 1, incr.Val())
		assert.EqualValues(t, 42, incrBy.Val())
		assert.EqualValues(t, 41, decr.Val())
		assert.EqualValues(t, 1, exists.Val())
		var rerr *redmux.RedisError
		assert.ErrorAs(t, notInt.Err(), &rerr)
		assert.EqualValues(t, 3, del.Val())
		assert.NoError(t, ping.Err())
		assert.Equal(t, "hi", echo.Val())
		n, err := raw.Val().Int64()
		assert.NoError(t, err)
		assert.Zero(t, n)
	}
}

// TestBatchRunsTypedCommandsAsOnePipeline: the typed helpers queued in a
// Batch come back decoded, on a Client and on a DedicatedConn; a server
// error fails only its own reply. Both protocols.
func TestBatchRunsTypedCommandsAsOnePipeline(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		t.Run("Client", func(t *testing.T) {
			b := redmux.NewBatch()
			check := queueAll(b, prefix+"client:")
			require.NoError(t, c.RunBatch(ctx, b))
			check(t)
		})
		t.Run("DedicatedConn", func(t *testing.T) {
			b := redmux.NewBatch()
			check := queueAll(b, prefix+"dedicated:")
			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
				return conn.RunBatch(ctx, b)
			}))
			check(t)
		})
	})
}

// TestBatchRepliesBeforeRunAndAfterFailure: a reply read before its batch
// ran says so; a batch that fails as a whole fails every reply with its
// error; a batch can run again.
func TestBatchRepliesBeforeRunAndAfterFailure(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1})
	require.NoError(t, err)

	b := redmux.NewBatch()
	n := b.Incr("again")
	require.ErrorIs(t, n.Err(), redmux.ErrNotRun)
	require.NoError(t, c.RunBatch(ctx, b))
	require.NoError(t, c.RunBatch(ctx, b))
	assert.EqualValues(t, 2, n.Val(), "the second run sent INCR again")

	bad := redmux.NewBatch()
	ok := bad.Ping()
	bad.Do("SET", "k", time.Second) // a Duration is refused
	var aerr *redmux.ArgTypeError
	require.ErrorAs(t, c.RunBatch(ctx, bad), &aerr)
	assert.ErrorAs(t, ok.Err(), &aerr)

	blocking := redmux.NewBatch()
	blocking.Do("BLPOP", "q", 1)
	require.ErrorIs(t, c.RunBatch(ctx, blocking), redmux.ErrNeedsDedicated)

	require.NoError(t, c.Close())
	require.ErrorIs(t, c.RunBatch(ctx, b), redmux.ErrClosed)
	assert.ErrorIs(t, n.Err(), redmux.ErrClosed)
}

// TestExpireNeverRoundsAPositiveTTLToZero: a TTL under a millisecond
// becomes one millisecond. Expire used to send PEXPIRE key 0, which
// deletes the key.
func TestExpireNeverRoundsAPositiveTTLToZero(t *testing.T) {
	mini := miniredis.RunT(t) // its clock stands still: the key cannot expire by itself
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: 1})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	ok, err := c.Expire(ctx, "k", 500*time.Microsecond)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, mini.Exists("k"), "a positive TTL deleted the key")
	assert.Equal(t, time.Millisecond, mini.TTL("k"))
}
