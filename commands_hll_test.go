package redmux_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// TestHyperLogLogCommands: PFADD and PFCOUNT on a Client, in a Batch and
// on a DedicatedConn, both protocols.
func TestHyperLogLogCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		var rerr *redmux.RedisError
		changed, err := c.PFAdd(ctx, prefix+"h1", "a", "b", "c")
		require.NoError(t, err)
		assert.True(t, changed)
		changed, err = c.PFAdd(ctx, prefix+"h1", "a")
		require.NoError(t, err)
		assert.False(t, changed, "already counted")
		n, err := c.PFCount(ctx, prefix+"h1")
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		n, err = c.PFCount(ctx, prefix+"missing")
		require.NoError(t, err)
		assert.Zero(t, n)
		require.NoError(t, c.Set(ctx, prefix+"str", []byte("not a hll")))
		_, err = c.PFAdd(ctx, prefix+"str", "a")
		assert.ErrorAs(t, err, &rerr)
		_, err = c.PFCount(ctx, prefix+"str")
		assert.ErrorAs(t, err, &rerr)

		b := redmux.NewBatch()
		add := b.PFAdd(prefix+"h2", "c", "d")
		empty := b.PFAdd(prefix + "h3") // creates an empty HyperLogLog
		union := b.PFCount(prefix+"h1", prefix+"h2", prefix+"h3")
		wrong := b.PFCount(prefix + "str")
		require.NoError(t, c.RunBatch(ctx, b))
		assert.True(t, add.Val())
		assert.True(t, empty.Val())
		assert.EqualValues(t, 4, union.Val())
		assert.ErrorAs(t, wrong.Err(), &rerr)

		require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			changed, err := conn.PFAdd(ctx, prefix+"h2", "e")
			require.NoError(t, err)
			assert.True(t, changed)
			n, err := conn.PFCount(ctx, prefix+"h2")
			require.NoError(t, err)
			assert.EqualValues(t, 3, n)
			return nil
		}))
	})
}
