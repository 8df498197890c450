package redmux_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// TestScanVisitsEveryMatchingKey: 5,000 keys matching among 1,000 others
// are each yielded (SCAN may repeat, never miss a key present throughout);
// breaking out stops the scan; a cancelled context is yielded once as the
// error and ends it; TYPE filters.
func TestScanVisitsEveryMatchingKey(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		var cmds [][]any
		for i := range 5000 {
			cmds = append(cmds, []any{"SET", fmt.Sprintf("%sscan:%d", prefix, i), i})
		}
		for i := range 1000 {
			cmds = append(cmds, []any{"SADD", fmt.Sprintf("%sother:%d", prefix, i), "m"})
		}
		_, err := c.Pipeline(ctx, cmds...)
		require.NoError(t, err)

		seen := map[string]bool{}
		for key, err := range c.Scan(ctx, prefix+"scan:*", 500) {
			require.NoError(t, err)
			seen[key] = true
		}
		assert.Len(t, seen, 5000)

		visited := 0
		for _, err := range c.Scan(ctx, prefix+"scan:*", 100) {
			require.NoError(t, err)
			visited++
			if visited == 10 {
				break
			}
		}
		assert.Equal(t, 10, visited, "break stops the scan")

		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		var errs []error
		for _, err := range c.Scan(cancelled, "", 0) {
			errs = append(errs, err)
		}
		require.Len(t, errs, 1, "one error, then the end")
		assert.ErrorIs(t, errs[0], context.Canceled)

		sets := 0
		for key, err := range c.ScanType(ctx, prefix+"*", 1000, "set") {
			require.NoError(t, err)
			assert.Contains(t, key, prefix+"other:")
			sets++
		}
		assert.Equal(t, 1000, sets)
	})
}

// TestHScanSScanZScan iterate over a hash, a set and a sorted set.
func TestHScanSScanZScan(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		h, s, z := prefix+"h", prefix+"s", prefix+"z"
		var cmds [][]any
		for i := range 300 {
			cmds = append(cmds,
				[]any{"HSET", h, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i)},
				[]any{"SADD", s, fmt.Sprintf("m%d", i)},
				[]any{"ZADD", z, float64(i) + 0.5, fmt.Sprintf("m%d", i)})
		}
		_, err := c.Pipeline(ctx, cmds...)
		require.NoError(t, err)

		fields := map[string]string{}
		for f, err := range c.HScan(ctx, h, "", 50) {
			require.NoError(t, err)
			fields[f.Field] = string(f.Value)
		}
		assert.Len(t, fields, 300)
		assert.Equal(t, "v42", fields["f42"])

		members := map[string]bool{}
		for m, err := range c.SScan(ctx, s, "m1*", 50) {
			require.NoError(t, err)
			members[m] = true
		}
		assert.Len(t, members, 111) // m1, m10-m19, m100-m199

		scores := map[string]float64{}
		for m, err := range c.ZScan(ctx, z, "", 50) {
			require.NoError(t, err)
			scores[m.Member] = m.Score
		}
		assert.Len(t, scores, 300)
		assert.Equal(t, 42.5, scores["m42"])
	})
}
