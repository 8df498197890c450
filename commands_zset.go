package redmux

import (
	"context"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// Sorted sets. Members are strings, scores float64.

// Z is a sorted-set member with its score.
type Z struct {
	Member string
	Score  float64
}

// ZCompare restricts ZAdd's updates by comparing scores.
type ZCompare int

const (
	// ZAnyScore updates whatever the new score.
	ZAnyScore ZCompare = iota
	// ZGreater updates only to a greater score (GT).
	ZGreater
	// ZLess updates only to a lower score (LT).
	ZLess
)

// ZAddOptions are ZADD's options; the zero value is a plain ZADD.
type ZAddOptions struct {
	// Condition: SetIfAbsent adds only new members (NX), SetIfPresent only
	// updates existing ones (XX).
	Condition SetCondition
	// Compare: GT or LT.
	Compare ZCompare
	// Changed makes ZAdd count updated members too (CH), not only new ones.
	Changed bool
}

// ZAdd adds or updates members and returns how many were added (and
// updated, with Changed).
func (c *commands) ZAdd(ctx context.Context, key string, opts ZAddOptions, members ...Z) (int64, error) {
	return run(ctx, c.r, zaddCmd(key, opts, members))
}

// ZAdd queues ZADD; see Client.ZAdd.
func (b *Batch) ZAdd(key string, opts ZAddOptions, members ...Z) *Reply[int64] {
	return add(b, zaddCmd(key, opts, members))
}

func zaddCmd(key string, opts ZAddOptions, members []Z) cmd[int64] {
	var flags []string
	switch opts.Condition {
	case SetIfAbsent:
		flags = append(flags, "NX")
	case SetIfPresent:
		flags = append(flags, "XX")
	}
	switch opts.Compare {
	case ZGreater:
		flags = append(flags, "GT")
	case ZLess:
		flags = append(flags, "LT")
	}
	if opts.Changed {
		flags = append(flags, "CH")
	}
	req := command("ZADD", 1+len(flags)+2*len(members))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	for _, f := range flags {
		req.Cmd = resp.AppendBulkString(req.Cmd, f)
	}
	for _, m := range members {
		req.Cmd = resp.AppendBulkFloat(req.Cmd, m.Score)
		req.Cmd = resp.AppendBulkString(req.Cmd, m.Member)
	}
	return cmd[int64]{req, decodeInt}
}

// ZRem removes members and returns how many were there.
func (c *commands) ZRem(ctx context.Context, key string, members ...string) (int64, error) {
	return run(ctx, c.r, keyNamesCmd("ZREM", key, members, decodeInt))
}

// ZRem queues ZREM; see Client.ZRem.
func (b *Batch) ZRem(key string, members ...string) *Reply[int64] {
	return add(b, keyNamesCmd("ZREM", key, members, decodeInt))
}

// ZScore returns member's score; found is false when it is not there.
func (c *commands) ZScore(ctx context.Context, key, member string) (float64, bool, error) {
	return runMaybe(ctx, c.r, zscoreCmd(key, member))
}

// ZScore queues ZSCORE; see Client.ZScore.
func (b *Batch) ZScore(key, member string) *MaybeReply[float64] {
	return addMaybe(b, zscoreCmd(key, member))
}

func zscoreCmd(key, member string) maybeCmd[float64] {
	c := keyNamesCmd("ZSCORE", key, []string{member}, decodeFloat)
	return maybeCmd[float64]{c.req, decodeFloatOrAbsent}
}

func decodeFloatOrAbsent(v Value) (float64, bool, error) {
	if v.IsNull() {
		return 0, false, nil
	}
	f, err := v.Float64()
	return f, err == nil, err
}

// ZMScore returns the scores of members, in order; a missing member's
// entry is nil.
func (c *commands) ZMScore(ctx context.Context, key string, members ...string) ([]*float64, error) {
	return run(ctx, c.r, keyNamesCmd("ZMSCORE", key, members, decodeOptionalFloats))
}

// ZMScore queues ZMSCORE; see Client.ZMScore.
func (b *Batch) ZMScore(key string, members ...string) *Reply[[]*float64] {
	return add(b, keyNamesCmd("ZMSCORE", key, members, decodeOptionalFloats))
}

func decodeOptionalFloats(v Value) ([]*float64, error) {
	elems, err := v.Array()
	if err != nil {
		return nil, err
	}
	out := make([]*float64, len(elems))
	for i, e := range elems {
		if e.IsNull() {
			continue
		}
		f, err := e.Float64()
		if err != nil {
			return nil, err
		}
		out[i] = &f
	}
	return out, nil
}

// ZIncrBy adds delta to member's score and returns the new score.
func (c *commands) ZIncrBy(ctx context.Context, key string, delta float64, member string) (float64, error) {
	return run(ctx, c.r, zincrByCmd(key, delta, member))
}

// ZIncrBy queues ZINCRBY; see Client.ZIncrBy.
func (b *Batch) ZIncrBy(key string, delta float64, member string) *Reply[float64] {
	return add(b, zincrByCmd(key, delta, member))
}

func zincrByCmd(key string, delta float64, member string) cmd[float64] {
	req := command("ZINCRBY", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkFloat(req.Cmd, delta)
	req.Cmd = resp.AppendBulkString(req.Cmd, member)
	return cmd[float64]{req, decodeFloat}
}

// ZRank returns member's rank by ascending score; found is false when it
// is not there.
func (c *commands) ZRank(ctx context.Context, key, member string) (int64, bool, error) {
	return runMaybe(ctx, c.r, zrankCmd(key, member))
}

// ZRank queues ZRANK; see Client.ZRank.
func (b *Batch) ZRank(key, member string) *MaybeReply[int64] {
	return addMaybe(b, zrankCmd(key, member))
}

func zrankCmd(key, member string) maybeCmd[int64] {
	c := keyNamesCmd("ZRANK", key, []string{member}, decodeInt)
	return maybeCmd[int64]{c.req, decodeIntOrAbsent}
}

func decodeIntOrAbsent(v Value) (int64, bool, error) {
	if v.IsNull() {
		return 0, false, nil
	}
	n, err := v.Int64()
	return n, err == nil, err
}

// ZRangeBy says what ZRange's Start and Stop are.
type ZRangeBy int

const (
	// ByIndex: ranks, "0" to "-1" for all.
	ByIndex ZRangeBy = iota
	// ByScore: scores, with "(" for exclusive and "-inf"/"+inf".
	ByScore
	// ByLex: members, "[a" or "(a", "-" and "+".
	ByLex
)

// ZRangeArgs select a range of a sorted set.
type ZRangeArgs struct {
	Start, Stop string
	By          ZRangeBy
	// Rev orders by descending score (then Start is the higher end).
	Rev bool
	// Offset and Count, when Count > 0, limit a ByScore or ByLex range.
	Offset, Count int64
}

// ZRange returns the members in the range.
func (c *commands) ZRange(ctx context.Context, key string, args ZRangeArgs) ([]string, error) {
	return run(ctx, c.r, cmd[[]string]{zrangeRequest(key, args, false), decodeStrings})
}

// ZRange queues ZRANGE; see Client.ZRange.
func (b *Batch) ZRange(key string, args ZRangeArgs) *Reply[[]string] {
	return add(b, cmd[[]string]{zrangeRequest(key, args, false), decodeStrings})
}

// ZRangeWithScores returns the members in the range with their scores.
// Redis refuses WITHSCORES with ByLex.
func (c *commands) ZRangeWithScores(ctx context.Context, key string, args ZRangeArgs) ([]Z, error) {
	return run(ctx, c.r, cmd[[]Z]{zrangeRequest(key, args, true), decodeZs})
}

// ZRangeWithScores queues ZRANGE WITHSCORES; see Client.ZRangeWithScores.
func (b *Batch) ZRangeWithScores(key string, args ZRangeArgs) *Reply[[]Z] {
	return add(b, cmd[[]Z]{zrangeRequest(key, args, true), decodeZs})
}

func zrangeRequest(key string, a ZRangeArgs, withScores bool) *manager.Request {
	args := []string{key, a.Start, a.Stop}
	switch a.By {
	case ByScore:
		args = append(args, "BYSCORE")
	case ByLex:
		args = append(args, "BYLEX")
	}
	if a.Rev {
		args = append(args, "REV")
	}
	req := command("ZRANGE", len(args)+limitArgs(a)+boolArg(withScores))
	for _, s := range args {
		req.Cmd = resp.AppendBulkString(req.Cmd, s)
	}
	if a.Count > 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "LIMIT")
		req.Cmd = resp.AppendBulkInt(req.Cmd, a.Offset)
		req.Cmd = resp.AppendBulkInt(req.Cmd, a.Count)
	}
	if withScores {
		req.Cmd = resp.AppendBulkString(req.Cmd, "WITHSCORES")
	}
	return req
}

func limitArgs(a ZRangeArgs) int {
	if a.Count > 0 {
		return 3
	}
	return 0
}

func boolArg(b bool) int {
	if b {
		return 1
	}
	return 0
}

// decodeZs reads members with scores: a flat RESP2 array [m, s, m, s] or
// RESP3 pairs [[m, s], ...].
func decodeZs(v Value) ([]Z, error) {
	elems, err := v.Array()
	if err != nil {
		return nil, err
	}
	if len(elems) > 0 && elems[0].Type() == resp.TypeArray {
		out := make([]Z, len(elems))
		for i, e := range elems {
			pair, err := e.Array()
			if err != nil || len(pair) != 2 {
				return nil, &TypeError{Accessor: "ZRangeWithScores", Want: "[member, score]", Got: e.Type(), Index: i}
			}
			if out[i], err = zOf(pair[0], pair[1]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if len(elems)%2 != 0 {
		return nil, &TypeError{Accessor: "ZRangeWithScores", Want: "member, score pairs", Got: v.Type(), Index: -1}
	}
	out := make([]Z, len(elems)/2)
	for i := range out {
		if out[i], err = zOf(elems[2*i], elems[2*i+1]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func zOf(member, score Value) (Z, error) {
	m, err := member.Text()
	if err != nil {
		return Z{}, err
	}
	s, err := score.Float64()
	return Z{Member: m, Score: s}, err
}

// ZCard returns the number of members.
func (c *commands) ZCard(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("ZCARD", key))
}

// ZCard queues ZCARD; see Client.ZCard.
func (b *Batch) ZCard(key string) *Reply[int64] { return add(b, keyIntCmd("ZCARD", key)) }

// ZCount returns how many members score between min and max (ZRange's
// ByScore syntax).
func (c *commands) ZCount(ctx context.Context, key, min, max string) (int64, error) {
	return run(ctx, c.r, keyNamesCmd("ZCOUNT", key, []string{min, max}, decodeInt))
}

// ZCount queues ZCOUNT; see Client.ZCount.
func (b *Batch) ZCount(key, min, max string) *Reply[int64] {
	return add(b, keyNamesCmd("ZCOUNT", key, []string{min, max}, decodeInt))
}

// ZPopMin removes and returns up to count members with the lowest scores.
func (c *commands) ZPopMin(ctx context.Context, key string, count int64) ([]Z, error) {
	return run(ctx, c.r, zpopCmd("ZPOPMIN", key, count))
}

// ZPopMin queues ZPOPMIN; see Client.ZPopMin.
func (b *Batch) ZPopMin(key string, count int64) *Reply[[]Z] {
	return add(b, zpopCmd("ZPOPMIN", key, count))
}

// ZPopMax removes and returns up to count members with the highest scores.
func (c *commands) ZPopMax(ctx context.Context, key string, count int64) ([]Z, error) {
	return run(ctx, c.r, zpopCmd("ZPOPMAX", key, count))
}

// ZPopMax queues ZPOPMAX; see Client.ZPopMax.
func (b *Batch) ZPopMax(key string, count int64) *Reply[[]Z] {
	return add(b, zpopCmd("ZPOPMAX", key, count))
}

func zpopCmd(name, key string, count int64) cmd[[]Z] {
	req := command(name, 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, count)
	return cmd[[]Z]{req, decodeZs}
}

// KeyZ is the key a blocking sorted-set pop took a member from, and it.
type KeyZ struct {
	Key string
	Z
}

// BZPopMin waits up to timeout (0: forever) for a member in the first
// non-empty sorted set of keys, removes and returns the lowest; found is
// false when the timeout passed. It runs on a dedicated connection.
func (c *commands) BZPopMin(ctx context.Context, timeout time.Duration, keys ...string) (KeyZ, bool, error) {
	return runMaybeBlocking(ctx, c.r, bzpopCmd("BZPOPMIN", timeout, keys), timeout)
}

// BZPopMax is BZPopMin taking the highest.
func (c *commands) BZPopMax(ctx context.Context, timeout time.Duration, keys ...string) (KeyZ, bool, error) {
	return runMaybeBlocking(ctx, c.r, bzpopCmd("BZPOPMAX", timeout, keys), timeout)
}

func bzpopCmd(name string, timeout time.Duration, keys []string) maybeCmd[KeyZ] {
	req := command(name, len(keys)+1)
	for _, k := range keys {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
	}
	req.Cmd = resp.AppendBulkString(req.Cmd, timeoutSeconds(timeout))
	return maybeCmd[KeyZ]{req, decodeKeyZ}
}

func decodeKeyZ(v Value) (KeyZ, bool, error) {
	if v.IsNull() {
		return KeyZ{}, false, nil
	}
	parts, err := v.Array()
	if err != nil || len(parts) != 3 {
		return KeyZ{}, false, &TypeError{Accessor: "BZPopMin", Want: "[key, member, score]", Got: v.Type(), Index: -1}
	}
	key, err := parts[0].Text()
	if err != nil {
		return KeyZ{}, false, err
	}
	z, err := zOf(parts[1], parts[2])
	return KeyZ{Key: key, Z: z}, err == nil, err
}
