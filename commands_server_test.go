package redmux_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// TestTypedServerCommands: INFO (a verbatim string in RESP3), DBSIZE,
// FLUSHDB and TIME on a Client, in a Batch and on a DedicatedConn, in
// both protocols.
func TestTypedServerCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		k := func(name string) string { return prefix + name }

		t.Run("Client", func(t *testing.T) {
			info, err := c.Info(ctx)
			require.NoError(t, err)
			assert.Contains(t, info, "# Server")
			assert.NotContains(t, info[:4], "txt:", "the verbatim format is not part of the text")
			info, err = c.Info(ctx, "server", "clients")
			require.NoError(t, err)
			assert.Contains(t, info, "redis_version:")
			assert.Contains(t, info, "connected_clients:")
			assert.NotContains(t, info, "# Memory")

			require.NoError(t, c.FlushDB(ctx, false))
			n, err := c.DBSize(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)
			require.NoError(t, c.MSet(ctx, map[string][]byte{k("a"): nil, k("b"): nil}))
			n, err = c.DBSize(ctx)
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)
			require.NoError(t, c.FlushDB(ctx, true))
			n, err = c.DBSize(ctx)
			require.NoError(t, err)
			assert.Zero(t, n)

			now, err := c.Time(ctx)
			require.NoError(t, err)
			assert.WithinDuration(t, time.Now(), now, 5*time.Second)
			assert.Zero(t, now.Nanosecond()%int(time.Microsecond), "TIME has microsecond precision")
			raw, err := c.Do(ctx, "TIME")
			require.NoError(t, err)
			parts, err := raw.Strings()
			require.NoError(t, err)
			later, err := c.Time(ctx)
			require.NoError(t, err)
			assert.False(t, later.Before(now))
			sec, err := strconv.ParseInt(parts[0], 10, 64)
			require.NoError(t, err)
			usec, err := strconv.ParseInt(parts[1], 10, 64)
			require.NoError(t, err)
			assert.WithinDuration(t, time.Unix(sec, usec*1000), later, time.Second, "seconds and microseconds decoded")
		})

		t.Run("Batch", func(t *testing.T) {
			b := redmux.NewBatch()
			b.Set(k("x"), []byte("1"))
			size := b.DBSize()
			flush := b.FlushDB(false)
			after := b.DBSize()
			flushAsync := b.FlushDB(true)
			info := b.Info("server")
			now := b.Time()
			require.NoError(t, c.RunBatch(ctx, b))
			assert.EqualValues(t, 1, size.Val())
			assert.NoError(t, flush.Err())
			assert.Zero(t, after.Val())
			assert.NoError(t, flushAsync.Err())
			assert.Contains(t, info.Val(), "redis_version:")
			assert.WithinDuration(t, time.Now(), now.Val(), 5*time.Second)
		})

		t.Run("DedicatedConn", func(t *testing.T) {
			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
				info, err := conn.Info(ctx, "keyspace")
				require.NoError(t, err)
				assert.Contains(t, info, "# Keyspace")
				n, err := conn.DBSize(ctx)
				require.NoError(t, err)
				assert.Zero(t, n)
				now, err := conn.Time(ctx)
				require.NoError(t, err)
				assert.WithinDuration(t, time.Now(), now, 5*time.Second)
				return conn.FlushDB(ctx, false)
			}))
		})
	})
}
