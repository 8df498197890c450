package redmux_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// TestBitmapCommands: SETBIT, GETBIT and BITCOUNT on a Client, in a Batch
// and on a DedicatedConn, both protocols.
func TestBitmapCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		k := prefix + "bits"
		var rerr *redmux.RedisError
		old, err := c.SetBit(ctx, k, 7, 1)
		require.NoError(t, err)
		assert.Equal(t, 0, old)
		old, err = c.SetBit(ctx, k, 7, 1)
		require.NoError(t, err)
		assert.Equal(t, 1, old)
		_, err = c.SetBit(ctx, k, 17, 1) // third byte
		require.NoError(t, err)
		v, _, err := c.Get(ctx, k)
		require.NoError(t, err)
		assert.Equal(t, []byte{0x01, 0x00, 0x40}, v)

		bit, err := c.GetBit(ctx, k, 7)
		require.NoError(t, err)
		assert.Equal(t, 1, bit)
		bit, err = c.GetBit(ctx, k, 1000)
		require.NoError(t, err)
		assert.Equal(t, 0, bit, "beyond the end")
		bit, err = c.GetBit(ctx, prefix+"missing", 0)
		require.NoError(t, err)
		assert.Equal(t, 0, bit)

		n, err := c.BitCount(ctx, k)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		n, err = c.BitCountRange(ctx, k, 1, -1)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		n, err = c.BitCount(ctx, prefix+"missing")
		require.NoError(t, err)
		assert.Zero(t, n)

		_, err = c.SetBit(ctx, k, 0, 2)
		assert.ErrorAs(t, err, &rerr, "a bit is 0 or 1")
		_, err = c.XAdd(ctx, prefix+"stream", redmux.XAddOptions{}, streamValues("a", "1"))
		require.NoError(t, err)
		_, err = c.BitCount(ctx, prefix+"stream")
		assert.ErrorAs(t, err, &rerr)

		b := redmux.NewBatch()
		set := b.SetBit(k, 0, 1)
		get := b.GetBit(k, 0)
		count := b.BitCount(k)
		rng := b.BitCountRange(k, 0, 0)
		wrong := b.GetBit(prefix+"stream", 0)
		require.NoError(t, c.RunBatch(ctx, b))
		assert.Equal(t, 0, set.Val())
		assert.Equal(t, 1, get.Val())
		assert.EqualValues(t, 3, count.Val())
		assert.EqualValues(t, 2, rng.Val())
		assert.ErrorAs(t, wrong.Err(), &rerr)

		require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			old, err := conn.SetBit(ctx, k, 0, 0)
			require.NoError(t, err)
			assert.Equal(t, 1, old)
			bit, err := conn.GetBit(ctx, k, 0)
			require.NoError(t, err)
			assert.Equal(t, 0, bit)
			n, err := conn.BitCount(ctx, k)
			require.NoError(t, err)
			assert.EqualValues(t, 2, n)
			n, err = conn.BitCountRange(ctx, k, 0, 1)
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			return nil
		}))
	})
}
