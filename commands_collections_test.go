package redmux_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

func ptr(f float64) *float64 { return &f }

// TestTypedHashCommands runs the hash helpers on a Client, a Batch and a
// DedicatedConn, in RESP3 and RESP2.
func TestTypedHashCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		h := prefix + "hash"
		n, err := c.HSet(ctx, h, map[string][]byte{"name": []byte("Ada"), "born": []byte("1815"), "n": []byte("1")})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		v, found, err := c.HGet(ctx, h, "name")
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "Ada", string(v))
		_, found, err = c.HGet(ctx, h, "missing")
		require.NoError(t, err)
		assert.False(t, found)
		vals, err := c.HMGet(ctx, h, "name", "missing", "born")
		require.NoError(t, err)
		assert.Equal(t, [][]byte{[]byte("Ada"), nil, []byte("1815")}, vals)
		all, err := c.HGetAll(ctx, h)
		require.NoError(t, err)
		assert.Equal(t, map[string][]byte{"name": []byte("Ada"), "born": []byte("1815"), "n": []byte("1")}, all)
		empty, err := c.HGetAll(ctx, prefix+"nohash")
		require.NoError(t, err)
		assert.Empty(t, empty)
		ok, err := c.HExists(ctx, h, "born")
		require.NoError(t, err)
		assert.True(t, ok)
		n, err = c.HIncrBy(ctx, h, "n", 41)
		require.NoError(t, err)
		assert.EqualValues(t, 42, n)
		f, err := c.HIncrByFloat(ctx, h, "f", 1.5)
		require.NoError(t, err)
		assert.Equal(t, 1.5, f)
		n, err = c.HLen(ctx, h)
		require.NoError(t, err)
		assert.EqualValues(t, 4, n)
		keys, err := c.HKeys(ctx, h)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"name", "born", "n", "f"}, keys)
		hv, err := c.HVals(ctx, h)
		require.NoError(t, err)
		assert.Len(t, hv, 4)
		n, err = c.HDel(ctx, h, "f", "missing")
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		require.NoError(t, c.Set(ctx, prefix+"str", []byte("x")))
		_, err = c.HGetAll(ctx, prefix+"str")
		var rerr *redmux.RedisError
		assert.ErrorAs(t, err, &rerr, "WRONGTYPE")

		b := redmux.NewBatch()
		bget := b.HGet(h, "name")
		ball := b.HGetAll(h)
		bincr := b.HIncrBy(h, "n", 1)
		require.NoError(t, c.RunBatch(ctx, b))
		v, found, _ = bget.Result()
		assert.True(t, found)
		assert.Equal(t, "Ada", string(v))
		assert.Len(t, ball.Val(), 3)
		assert.EqualValues(t, 43, bincr.Val())

		require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			all, err := conn.HGetAll(ctx, h)
			assert.Len(t, all, 3)
			return err
		}))
	})
}

// TestTypedListCommands runs the list helpers, and the blocking pops on a
// dedicated connection while the shared one keeps serving.
func TestTypedListCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		l := prefix + "list"
		b := func(s ...string) [][]byte {
			out := make([][]byte, len(s))
			for i, x := range s {
				out[i] = []byte(x)
			}
			return out
		}
		n, err := c.RPush(ctx, l, b("a", "b", "c")...)
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		n, err = c.LPush(ctx, l, b("z")...)
		require.NoError(t, err)
		assert.EqualValues(t, 4, n)
		all, err := c.LRange(ctx, l, 0, -1)
		require.NoError(t, err)
		assert.Equal(t, b("z", "a", "b", "c"), all)
		v, found, err := c.LIndex(ctx, l, 1)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "a", string(v))
		_, found, err = c.LIndex(ctx, l, 99)
		require.NoError(t, err)
		assert.False(t, found)
		v, found, err = c.LPop(ctx, l)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "z", string(v))
		v, _, err = c.RPop(ctx, l)
		require.NoError(t, err)
		assert.Equal(t, "c", string(v))
		_, found, err = c.LPop(ctx, prefix+"nolist")
		require.NoError(t, err)
		assert.False(t, found)
		_, err = c.RPush(ctx, l, b("x", "a", "y")...)
		require.NoError(t, err)
		n, err = c.LRem(ctx, l, 0, []byte("a"))
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		require.NoError(t, c.LTrim(ctx, l, 0, 1))
		n, err = c.LLen(ctx, l)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		popped, err := c.LPopCount(ctx, l, 5)
		require.NoError(t, err)
		assert.Equal(t, b("b", "x"), popped)
		popped, err = c.RPopCount(ctx, l, 5)
		require.NoError(t, err)
		assert.Empty(t, popped)
		_, err = c.RPush(ctx, l, b("m")...)
		require.NoError(t, err)
		v, found, err = c.LMove(ctx, l, prefix+"dst", redmux.Left, redmux.Right)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "m", string(v))

		batch := redmux.NewBatch()
		push := batch.RPush(l, b("p", "q")...)
		rng := batch.LRange(l, 0, -1)
		require.NoError(t, c.RunBatch(ctx, batch))
		assert.EqualValues(t, 2, push.Val())
		assert.Equal(t, b("p", "q"), rng.Val())

		// Blocking pops: a timeout, then a pop woken by a push, while the
		// shared connections keep serving.
		_, found, err = c.BLPop(ctx, 50*time.Millisecond, prefix+"empty")
		require.NoError(t, err)
		assert.False(t, found)
		woken := make(chan redmux.KeyValue, 1)
		go func() {
			kv, _, err := c.BRPop(ctx, 5*time.Second, prefix+"jobs")
			assert.NoError(t, err)
			woken <- kv
		}()
		for range 20 {
			require.NoError(t, c.Ping(ctx))
		}
		_, err = c.RPush(ctx, prefix+"jobs", []byte("job"))
		require.NoError(t, err)
		select {
		case kv := <-woken:
			assert.Equal(t, redmux.KeyValue{Key: prefix + "jobs", Value: []byte("job")}, kv)
		case <-time.After(10 * time.Second):
			t.Fatal("BRPop was not woken")
		}
		_, err = c.RPush(ctx, l, b("last")...)
		require.NoError(t, err)
		v, found, err = c.BLMove(ctx, l, prefix+"dst", redmux.Right, redmux.Left, time.Second)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "last", string(v))

		require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			_, found, err := conn.BLPop(ctx, 20*time.Millisecond, prefix+"empty")
			assert.False(t, found)
			return err
		}))
	})
}

// TestTypedSetAndSortedSetCommands runs the set and sorted-set helpers.
func TestTypedSetAndSortedSetCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		s1, s2 := prefix+"s1", prefix+"s2"
		n, err := c.SAdd(ctx, s1, "a", "b", "c")
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		_, err = c.SAdd(ctx, s2, "b", "c", "d")
		require.NoError(t, err)
		members, err := c.SMembers(ctx, s1)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"a", "b", "c"}, members)
		ok, err := c.SIsMember(ctx, s1, "a")
		require.NoError(t, err)
		assert.True(t, ok)
		oks, err := c.SMIsMember(ctx, s1, "a", "x")
		require.NoError(t, err)
		assert.Equal(t, []bool{true, false}, oks)
		n, err = c.SCard(ctx, s1)
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		inter, err := c.SInter(ctx, s1, s2)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"b", "c"}, inter)
		union, err := c.SUnion(ctx, s1, s2)
		require.NoError(t, err)
		assert.Len(t, union, 4)
		diff, err := c.SDiff(ctx, s1, s2)
		require.NoError(t, err)
		assert.Equal(t, []string{"a"}, diff)
		m, found, err := c.SRandMember(ctx, s1)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Contains(t, []string{"a", "b", "c"}, m)
		some, err := c.SRandMemberCount(ctx, s1, 2)
		require.NoError(t, err)
		assert.Len(t, some, 2)
		_, found, err = c.SPop(ctx, prefix+"noset")
		require.NoError(t, err)
		assert.False(t, found)
		popped, err := c.SPopCount(ctx, s2, 10)
		require.NoError(t, err)
		assert.Len(t, popped, 3)
		n, err = c.SRem(ctx, s1, "a", "x")
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)

		z := prefix + "z"
		n, err = c.ZAdd(ctx, z, redmux.ZAddOptions{}, redmux.Z{Member: "a", Score: 1}, redmux.Z{Member: "b", Score: 2}, redmux.Z{Member: "c", Score: 3})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		n, err = c.ZAdd(ctx, z, redmux.ZAddOptions{Compare: redmux.ZGreater, Changed: true}, redmux.Z{Member: "a", Score: 0.5}, redmux.Z{Member: "b", Score: 5})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "GT updated b only")
		score, found, err := c.ZScore(ctx, z, "b")
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, 5.0, score)
		_, found, err = c.ZScore(ctx, z, "missing")
		require.NoError(t, err)
		assert.False(t, found)
		scores, err := c.ZMScore(ctx, z, "a", "missing")
		require.NoError(t, err)
		assert.Equal(t, []*float64{ptr(1), nil}, scores)
		f, err := c.ZIncrBy(ctx, z, 0.25, "a")
		require.NoError(t, err)
		assert.Equal(t, 1.25, f)
		rank, found, err := c.ZRank(ctx, z, "c")
		require.NoError(t, err)
		assert.True(t, found)
		assert.EqualValues(t, 1, rank)
		names, err := c.ZRange(ctx, z, redmux.ZRangeArgs{Start: "0", Stop: "-1"})
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "c", "b"}, names)
		withScores, err := c.ZRangeWithScores(ctx, z, redmux.ZRangeArgs{Start: "+inf", Stop: "2", By: redmux.ByScore, Rev: true, Count: 1})
		require.NoError(t, err)
		assert.Equal(t, []redmux.Z{{Member: "b", Score: 5}}, withScores)
		n, err = c.ZCount(ctx, z, "(1.25", "+inf")
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		n, err = c.ZCard(ctx, z)
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		low, err := c.ZPopMin(ctx, z, 1)
		require.NoError(t, err)
		assert.Equal(t, []redmux.Z{{Member: "a", Score: 1.25}}, low)
		high, err := c.ZPopMax(ctx, z, 1)
		require.NoError(t, err)
		assert.Equal(t, []redmux.Z{{Member: "b", Score: 5}}, high)
		kz, found, err := c.BZPopMin(ctx, time.Second, z)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, redmux.KeyZ{Key: z, Z: redmux.Z{Member: "c", Score: 3}}, kz)
		_, found, err = c.BZPopMax(ctx, 20*time.Millisecond, z)
		require.NoError(t, err)
		assert.False(t, found)

		batch := redmux.NewBatch()
		add := batch.ZAdd(z, redmux.ZAddOptions{}, redmux.Z{Member: "x", Score: 1})
		rng := batch.ZRangeWithScores(z, redmux.ZRangeArgs{Start: "0", Stop: "-1"})
		card := batch.SCard(s1)
		require.NoError(t, c.RunBatch(ctx, batch))
		assert.EqualValues(t, 1, add.Val())
		assert.Equal(t, []redmux.Z{{Member: "x", Score: 1}}, rng.Val())
		assert.EqualValues(t, 2, card.Val())
		require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			members, err := conn.SMembers(ctx, s1)
			assert.Len(t, members, 2)
			return err
		}))
	})
}
