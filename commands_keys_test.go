package redmux_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// TestTypedKeyCommands: UNLINK, TOUCH, PEXPIREAT, PERSIST, TYPE, RENAME
// and RENAMENX on a Client, in a Batch and on a DedicatedConn, in both
// protocols.
func TestTypedKeyCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		k := func(name string) string { return prefix + name }
		var rerr *redmux.RedisError

		t.Run("Client", func(t *testing.T) {
			require.NoError(t, c.MSet(ctx, map[string][]byte{k("a"): []byte("A"), k("b"): []byte("B")}))
			_, err := c.Do(ctx, "RPUSH", k("list"), "x")
			require.NoError(t, err)
			_, err = c.Do(ctx, "HSET", k("hash"), "f", "v")
			require.NoError(t, err)

			for key, want := range map[string]string{
				k("a"): "string", k("list"): "list", k("hash"): "hash", k("missing"): "none",
			} {
				typ, err := c.Type(ctx, key)
				require.NoError(t, err)
				assert.Equal(t, want, typ, key)
			}

			n, err := c.Touch(ctx, k("a"), k("b"), k("missing"))
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)

			at := time.Now().Add(time.Hour)
			ok, err := c.ExpireAt(ctx, k("a"), at)
			require.NoError(t, err)
			assert.True(t, ok)
			ttl, err := c.TTL(ctx, k("a"))
			require.NoError(t, err)
			assert.InDelta(t, float64(time.Hour), float64(ttl), float64(5*time.Second))
			ok, err = c.ExpireAt(ctx, k("missing"), at)
			require.NoError(t, err)
			assert.False(t, ok)

			ok, err = c.Persist(ctx, k("a"))
			require.NoError(t, err)
			assert.True(t, ok)
			ttl, err = c.TTL(ctx, k("a"))
			require.NoError(t, err)
			assert.Equal(t, redmux.TTLPersistent, ttl)
			ok, err = c.Persist(ctx, k("a"))
			require.NoError(t, err)
			assert.False(t, ok, "no expiry left to remove")
			ok, err = c.Persist(ctx, k("missing"))
			require.NoError(t, err)
			assert.False(t, ok)

			require.NoError(t, c.Rename(ctx, k("a"), k("a2")))
			v, found, err := c.Get(ctx, k("a2"))
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, "A", string(v))
			err = c.Rename(ctx, k("missing"), k("x"))
			assert.ErrorAs(t, err, &rerr, "RENAME of a missing key")

			ok, err = c.RenameNX(ctx, k("a2"), k("b"))
			require.NoError(t, err)
			assert.False(t, ok, "b exists")
			ok, err = c.RenameNX(ctx, k("a2"), k("a3"))
			require.NoError(t, err)
			assert.True(t, ok)
			_, err = c.RenameNX(ctx, k("missing"), k("x"))
			assert.ErrorAs(t, err, &rerr)

			ok, err = c.ExpireAt(ctx, k("a3"), time.Now().Add(-time.Second))
			require.NoError(t, err)
			assert.True(t, ok)
			n, err = c.Exists(ctx, k("a3"))
			require.NoError(t, err)
			assert.Zero(t, n, "an instant in the past deletes the key")

			n, err = c.Unlink(ctx, k("b"), k("list"), k("hash"), k("missing"))
			require.NoError(t, err)
			assert.EqualValues(t, 3, n)
		})

		t.Run("Batch", func(t *testing.T) {
			b := redmux.NewBatch()
			b.Set(k("x"), []byte("1"))
			typ := b.Type(k("x"))
			none := b.Type(k("missing"))
			touch := b.Touch(k("x"), k("missing"))
			expireAt := b.ExpireAt(k("x"), time.Now().Add(time.Minute))
			persist := b.Persist(k("x"))
			rename := b.Rename(k("x"), k("y"))
			renameBad := b.Rename(k("missing"), k("z"))
			renameNX := b.RenameNX(k("y"), k("z"))
			unlink := b.Unlink(k("z"), k("missing"))
			require.NoError(t, c.RunBatch(ctx, b))
			assert.Equal(t, "string", typ.Val())
			assert.Equal(t, "none", none.Val())
			assert.EqualValues(t, 1, touch.Val())
			assert.True(t, expireAt.Val())
			assert.True(t, persist.Val())
			assert.NoError(t, rename.Err())
			assert.ErrorAs(t, renameBad.Err(), &rerr)
			assert.True(t, renameNX.Val())
			assert.EqualValues(t, 1, unlink.Val())
		})

		t.Run("DedicatedConn", func(t *testing.T) {
			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
				require.NoError(t, conn.Set(ctx, k("d"), []byte("v")))
				typ, err := conn.Type(ctx, k("d"))
				require.NoError(t, err)
				assert.Equal(t, "string", typ)
				require.NoError(t, conn.Rename(ctx, k("d"), k("d2")))
				ok, err := conn.ExpireAt(ctx, k("d2"), time.Now().Add(time.Minute))
				require.NoError(t, err)
				assert.True(t, ok)
				n, err := conn.Unlink(ctx, k("d2"))
				require.NoError(t, err)
				assert.EqualValues(t, 1, n)
				return nil
			}))
		})
	})
}
