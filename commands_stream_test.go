package redmux_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/testwait"
)

func streamValues(kv ...string) map[string][]byte {
	m := make(map[string][]byte, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return m
}

// TestStreamCommands: every stream helper on a Client, both protocols.
func TestStreamCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		k := prefix + "stream"
		var rerr *redmux.RedisError

		id1, err := c.XAdd(ctx, k, redmux.XAddOptions{ID: "1-1"}, streamValues("a", "1", "b", ""))
		require.NoError(t, err)
		assert.Equal(t, "1-1", id1)
		id2, err := c.XAdd(ctx, k, redmux.XAddOptions{}, streamValues("a", "2"))
		require.NoError(t, err)
		assert.NotEmpty(t, id2)
		id3, err := c.XAdd(ctx, k, redmux.XAddOptions{}, streamValues("a", "3"))
		require.NoError(t, err)

		none, err := c.XAdd(ctx, prefix+"nostream", redmux.XAddOptions{NoMkStream: true}, streamValues("a", "1"))
		require.NoError(t, err)
		assert.Equal(t, "", none, "NOMKSTREAM on a missing stream adds nothing")
		n, err := c.Exists(ctx, prefix+"nostream")
		require.NoError(t, err)
		assert.Zero(t, n)

		n, err = c.XLen(ctx, k)
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		n, err = c.XLen(ctx, prefix+"missing")
		require.NoError(t, err)
		assert.Zero(t, n)

		entries, err := c.XRange(ctx, k, "-", "+", 0)
		require.NoError(t, err)
		require.Len(t, entries, 3)
		assert.Equal(t, redmux.XEntry{ID: "1-1", Values: map[string][]byte{"a": []byte("1"), "b": {}}}, entries[0])
		assert.Equal(t, id3, entries[2].ID)
		entries, err = c.XRange(ctx, k, "-", "+", 2)
		require.NoError(t, err)
		assert.Len(t, entries, 2)
		entries, err = c.XRevRange(ctx, k, "+", "-", 1)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		assert.Equal(t, redmux.XEntry{ID: id3, Values: streamValues("a", "3")}, entries[0])
		entries, err = c.XRange(ctx, prefix+"missing", "-", "+", 0)
		require.NoError(t, err)
		assert.Empty(t, entries)

		streams, err := c.XRead(ctx, redmux.XReadOptions{
			Streams: []redmux.XStreamID{{Key: k, ID: "0"}, {Key: prefix + "missing", ID: "0"}},
			Count:   2,
		})
		require.NoError(t, err)
		require.Len(t, streams, 1)
		assert.Equal(t, k, streams[0].Stream)
		require.Len(t, streams[0].Entries, 2)
		assert.Equal(t, id2, streams[0].Entries[1].ID)
		// Two streams: RESP2's array of [name, entries] pairs must not be
		// read as a flat map.
		_, err = c.XAdd(ctx, prefix+"other", redmux.XAddOptions{}, streamValues("x", "y"))
		require.NoError(t, err)
		streams, err = c.XRead(ctx, redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: id2}, {Key: prefix + "other", ID: "0"}}})
		require.NoError(t, err)
		require.Len(t, streams, 2)
		got := map[string]int{}
		for _, s := range streams {
			got[s.Stream] = len(s.Entries)
		}
		assert.Equal(t, map[string]int{k: 1, prefix + "other": 1}, got)
		streams, err = c.XRead(ctx, redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: id3}}})
		require.NoError(t, err)
		assert.Nil(t, streams, "nothing after the last ID")

		// Consumer groups.
		require.NoError(t, c.XGroupCreate(ctx, k, "g", "0", false))
		err = c.XGroupCreate(ctx, k, "g", "0", false)
		require.ErrorAs(t, err, &rerr, "BUSYGROUP")
		err = c.XGroupCreate(ctx, prefix+"missing", "g", "$", false)
		require.ErrorAs(t, err, &rerr, "no stream without MKSTREAM")
		require.NoError(t, c.XGroupCreate(ctx, prefix+"made", "g", "$", true))

		sum, err := c.XPending(ctx, k, "g")
		require.NoError(t, err)
		assert.Equal(t, redmux.XPendingSummary{}, sum, "nothing pending")

		read, err := c.XReadGroup(ctx, "g", "alice", redmux.XReadGroupOptions{
			XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: ">"}}, Count: 2},
		})
		require.NoError(t, err)
		require.Len(t, read, 1)
		require.Len(t, read[0].Entries, 2)
		assert.Equal(t, "1-1", read[0].Entries[0].ID)
		read, err = c.XReadGroup(ctx, "g", "bob", redmux.XReadGroupOptions{
			XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: ">"}}},
		})
		require.NoError(t, err)
		require.Len(t, read, 1)
		require.Len(t, read[0].Entries, 1)

		sum, err = c.XPending(ctx, k, "g")
		require.NoError(t, err)
		assert.Equal(t, redmux.XPendingSummary{Count: 3, Lower: "1-1", Upper: id3, Consumers: map[string]int64{"alice": 2, "bob": 1}}, sum)
		_, err = c.XPending(ctx, k, "nogroup")
		assert.ErrorAs(t, err, &rerr)

		claimed, err := c.XClaim(ctx, k, "g", "bob", 0, "1-1", "9-9")
		require.NoError(t, err)
		require.Len(t, claimed, 1, "an ID not pending is left out")
		assert.Equal(t, "1-1", claimed[0].ID)
		claimed, err = c.XClaim(ctx, k, "g", "bob", time.Hour, id2)
		require.NoError(t, err)
		assert.Empty(t, claimed, "not idle long enough")

		// A pending entry that was deleted: XREADGROUP of the history
		// reports it with no values; XAUTOCLAIM drops it.
		n, err = c.XDel(ctx, k, id2, "9-9")
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		read, err = c.XReadGroup(ctx, "g", "alice", redmux.XReadGroupOptions{
			XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: "0"}}},
		})
		require.NoError(t, err)
		require.Len(t, read, 1)
		require.Len(t, read[0].Entries, 1)
		assert.Equal(t, redmux.XEntry{ID: id2}, read[0].Entries[0])

		next, entries, err := c.XAutoClaim(ctx, k, "g", "carol", 0, "0-0", 10)
		require.NoError(t, err)
		assert.Equal(t, "0-0", next)
		ids := []string{}
		for _, e := range entries {
			ids = append(ids, e.ID)
		}
		assert.Equal(t, []string{"1-1", id3}, ids, "the deleted entry is not returned")

		n, err = c.XAck(ctx, k, "g", "1-1", id3, "9-9")
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)

		// NOACK: delivered, not pending.
		_, err = c.XAdd(ctx, k, redmux.XAddOptions{}, streamValues("a", "4"))
		require.NoError(t, err)
		read, err = c.XReadGroup(ctx, "g", "dave", redmux.XReadGroupOptions{
			XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: ">"}}},
			NoAck:        true,
		})
		require.NoError(t, err)
		require.Len(t, read, 1)
		sum, err = c.XPending(ctx, k, "g")
		require.NoError(t, err)
		assert.Zero(t, sum.Count)

		// Trimming.
		for i := range 5 {
			_, err = c.XAdd(ctx, k, redmux.XAddOptions{MaxLen: 4}, streamValues("i", string(rune('0'+i))))
			require.NoError(t, err)
		}
		n, err = c.XLen(ctx, k)
		require.NoError(t, err)
		assert.EqualValues(t, 4, n, "XADD MAXLEN")
		_, err = c.XAdd(ctx, k, redmux.XAddOptions{MaxLen: 1000, Approx: true}, streamValues("i", "x"))
		require.NoError(t, err)
		n, err = c.XTrim(ctx, k, redmux.XTrimOptions{MaxLen: 2})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		last, err := c.XRevRange(ctx, k, "+", "-", 1)
		require.NoError(t, err)
		n, err = c.XTrim(ctx, k, redmux.XTrimOptions{MinID: last[0].ID})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		_, err = c.XAdd(ctx, k, redmux.XAddOptions{ID: "99999999999999-0", MinID: "99999999999999-0"}, streamValues("z", "z"))
		require.NoError(t, err)
		n, err = c.XLen(ctx, k)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "XADD MINID")
		_, err = c.XTrim(ctx, k, redmux.XTrimOptions{MaxLen: 10, Approx: true})
		require.NoError(t, err, "MAXLEN ~ is well formed")
		n, err = c.XTrim(ctx, k, redmux.XTrimOptions{})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "the zero XTrimOptions empties the stream")

		// WRONGTYPE.
		require.NoError(t, c.Set(ctx, prefix+"str", []byte("v")))
		_, err = c.XAdd(ctx, prefix+"str", redmux.XAddOptions{}, streamValues("a", "1"))
		assert.ErrorAs(t, err, &rerr)
		_, err = c.XRange(ctx, prefix+"str", "-", "+", 0)
		assert.ErrorAs(t, err, &rerr)
		_, err = c.XRead(ctx, redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: prefix + "str", ID: "0"}}})
		assert.ErrorAs(t, err, &rerr)
	})
}

// TestStreamCommandsInABatch: the stream helpers with a Batch form, queued
// in one Batch on a Client and on a DedicatedConn; and the non-Batch
// helpers on a DedicatedConn.
func TestStreamCommandsInABatch(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		queue := func(b *redmux.Batch, k string) func(t *testing.T) {
			add1 := b.XAdd(k, redmux.XAddOptions{ID: "1-1"}, streamValues("f", "v1"))
			add2 := b.XAdd(k, redmux.XAddOptions{ID: "2-1"}, streamValues("f", "v2"))
			add3 := b.XAdd(k, redmux.XAddOptions{ID: "3-1"}, streamValues("f", "v3"))
			noMk := b.XAdd(k+":missing", redmux.XAddOptions{NoMkStream: true}, streamValues("f", "v"))
			xlen := b.XLen(k)
			rng := b.XRange(k, "-", "+", 0)
			rev := b.XRevRange(k, "+", "-", 1)
			create := b.XGroupCreate(k, "g", "0", false)
			busy := b.XGroupCreate(k, "g", "0", false)
			pendingNone := b.XPending(k, "g")
			claimNone := b.XClaim(k, "g", "c", 0, "1-1")
			autoNone := b.XAutoClaim(k, "g", "c", 0, "0-0", 0)
			ack := b.XAck(k, "g", "1-1")
			del := b.XDel(k, "3-1")
			trim := b.XTrim(k, redmux.XTrimOptions{MaxLen: 1})
			return func(t *testing.T) {
				assert.Equal(t, "1-1", add1.Val())
				assert.Equal(t, "2-1", add2.Val())
				assert.Equal(t, "3-1", add3.Val())
				id, err := noMk.Result()
				assert.NoError(t, err)
				assert.Equal(t, "", id)
				assert.EqualValues(t, 3, xlen.Val())
				require.Len(t, rng.Val(), 3)
				assert.Equal(t, redmux.XEntry{ID: "2-1", Values: streamValues("f", "v2")}, rng.Val()[1])
				assert.Equal(t, []redmux.XEntry{{ID: "3-1", Values: streamValues("f", "v3")}}, rev.Val())
				assert.NoError(t, create.Err())
				var rerr *redmux.RedisError
				assert.ErrorAs(t, busy.Err(), &rerr)
				assert.Equal(t, redmux.XPendingSummary{}, pendingNone.Val())
				assert.Empty(t, claimNone.Val())
				require.NoError(t, autoNone.Err())
				assert.Equal(t, "0-0", autoNone.Val().Next)
				assert.Empty(t, autoNone.Val().Entries)
				assert.Zero(t, ack.Val())
				assert.EqualValues(t, 1, del.Val())
				assert.EqualValues(t, 1, trim.Val())
			}
		}
		t.Run("Client", func(t *testing.T) {
			b := redmux.NewBatch()
			check := queue(b, prefix+"client:s")
			require.NoError(t, c.RunBatch(ctx, b))
			check(t)
		})
		t.Run("DedicatedConn", func(t *testing.T) {
			k := prefix + "dedicated:s"
			b := redmux.NewBatch()
			check := queue(b, k)
			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
				if err := conn.RunBatch(ctx, b); err != nil {
					return err
				}
				check(t)
				// The pending list has something after a group read.
				read, err := conn.XReadGroup(ctx, "g", "c", redmux.XReadGroupOptions{
					XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: "0"}}},
				})
				require.NoError(t, err)
				assert.Empty(t, read[0].Entries, "c has nothing pending yet")
				_, err = conn.XAdd(ctx, k, redmux.XAddOptions{ID: "4-1"}, streamValues("f", "v4"))
				require.NoError(t, err)
				read, err = conn.XReadGroup(ctx, "g", "c", redmux.XReadGroupOptions{
					XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: ">"}}},
				})
				require.NoError(t, err)
				require.Len(t, read, 1)
				assert.Equal(t, []redmux.XEntry{{ID: "2-1", Values: streamValues("f", "v2")}, {ID: "4-1", Values: streamValues("f", "v4")}}, read[0].Entries)

				b2 := redmux.NewBatch()
				pending := b2.XPending(k, "g")
				auto := b2.XAutoClaim(k, "g", "d", 0, "0-0", 10)
				if err := conn.RunBatch(ctx, b2); err != nil {
					return err
				}
				assert.Equal(t, redmux.XPendingSummary{Count: 2, Lower: "2-1", Upper: "4-1", Consumers: map[string]int64{"c": 2}}, pending.Val())
				assert.Equal(t, redmux.XAutoClaimResult{Next: "0-0", Entries: []redmux.XEntry{{ID: "2-1", Values: streamValues("f", "v2")}, {ID: "4-1", Values: streamValues("f", "v4")}}}, auto.Val())

				streams, err := conn.XRead(ctx, redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: "$"}}, Block: 50 * time.Millisecond})
				require.NoError(t, err, "a blocking read on the DedicatedConn itself")
				assert.Nil(t, streams)
				return nil
			}))
		})
	})
}

// TestStreamXReadBlocks: XREAD and XREADGROUP with Block run on a
// dedicated connection: one times out with nothing read, another is woken
// by an XADD from another goroutine, and the shared pipeline keeps serving
// meanwhile.
func TestStreamXReadBlocks(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		k := prefix + "blocking"
		start := time.Now()
		streams, err := c.XRead(ctx, redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: "$"}}, Block: 100 * time.Millisecond})
		require.NoError(t, err)
		assert.Nil(t, streams, "timed out")
		assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)

		require.NoError(t, c.XGroupCreate(ctx, k, "g", "$", true))
		streams, err = c.XReadGroup(ctx, "g", "c", redmux.XReadGroupOptions{
			XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: ">"}}, Block: 50 * time.Millisecond},
		})
		require.NoError(t, err)
		assert.Nil(t, streams, "XREADGROUP timed out")

		type result struct {
			streams []redmux.XStream
			err     error
		}
		// The group read first: the XADD that wakes XREAD would otherwise
		// be waiting for the group already.
		for _, group := range []bool{true, false} {
			done := make(chan result, 1)
			go func() {
				var r result
				if group {
					r.streams, r.err = c.XReadGroup(ctx, "g", "c", redmux.XReadGroupOptions{
						XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: ">"}}, Block: 20 * time.Second},
					})
				} else {
					r.streams, r.err = c.XRead(ctx, redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: k, ID: "$"}}, Block: 20 * time.Second})
				}
				done <- r
			}()
			want := "cmd=xread"
			if group {
				want = "cmd=xreadgroup"
			}
			testwait.Eventually(t, "XREAD to block on its dedicated connection", func() bool {
				v, err := c.Do(ctx, "CLIENT", "LIST")
				list, _ := v.Text()
				return err == nil && strings.Contains(list, want+" ")
			})
			require.NoError(t, c.Ping(ctx), "the shared pipeline serves while XREAD blocks")
			select {
			case r := <-done:
				t.Fatalf("XREAD returned before the XADD: %+v", r)
			default:
			}
			id, err := c.XAdd(ctx, k, redmux.XAddOptions{}, streamValues("wake", "up"))
			require.NoError(t, err)
			select {
			case r := <-done:
				require.NoError(t, r.err)
				require.Len(t, r.streams, 1)
				assert.Equal(t, k, r.streams[0].Stream)
				assert.Equal(t, []redmux.XEntry{{ID: id, Values: streamValues("wake", "up")}}, r.streams[0].Entries)
			case <-time.After(10 * time.Second):
				t.Fatal("XREAD was not woken by XADD")
			}
		}
	})
}
