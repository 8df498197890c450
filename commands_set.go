package redmux

import (
	"context"

	"github.com/redmux/redmux/resp"
)

// Sets. Members are strings.

// SAdd adds members and returns how many were new.
func (c *commands) SAdd(ctx context.Context, key string, members ...string) (int64, error) {
	return run(ctx, c.r, keyNamesCmd("SADD", key, members, decodeInt))
}

// SAdd queues SADD; see Client.SAdd.
func (b *Batch) SAdd(key string, members ...string) *Reply[int64] {
	return add(b, keyNamesCmd("SADD", key, members, decodeInt))
}

// SRem removes members and returns how many were there.
func (c *commands) SRem(ctx context.Context, key string, members ...string) (int64, error) {
	return run(ctx, c.r, keyNamesCmd("SREM", key, members, decodeInt))
}

// SRem queues SREM; see Client.SRem.
func (b *Batch) SRem(key string, members ...string) *Reply[int64] {
	return add(b, keyNamesCmd("SREM", key, members, decodeInt))
}

// SMembers returns every member of the set at key, in no order.
func (c *commands) SMembers(ctx context.Context, key string) ([]string, error) {
	return run(ctx, c.r, keyNamesCmd("SMEMBERS", key, nil, decodeStrings))
}

// SMembers queues SMEMBERS; see Client.SMembers.
func (b *Batch) SMembers(key string) *Reply[[]string] {
	return add(b, keyNamesCmd("SMEMBERS", key, nil, decodeStrings))
}

// SIsMember reports whether member is in the set at key.
func (c *commands) SIsMember(ctx context.Context, key, member string) (bool, error) {
	return run(ctx, c.r, keyNamesCmd("SISMEMBER", key, []string{member}, decodeOne))
}

// SIsMember queues SISMEMBER; see Client.SIsMember.
func (b *Batch) SIsMember(key, member string) *Reply[bool] {
	return add(b, keyNamesCmd("SISMEMBER", key, []string{member}, decodeOne))
}

// SMIsMember reports, for each member in order, whether it is in the set.
func (c *commands) SMIsMember(ctx context.Context, key string, members ...string) ([]bool, error) {
	return run(ctx, c.r, keyNamesCmd("SMISMEMBER", key, members, decodeBools))
}

// SMIsMember queues SMISMEMBER; see Client.SMIsMember.
func (b *Batch) SMIsMember(key string, members ...string) *Reply[[]bool] {
	return add(b, keyNamesCmd("SMISMEMBER", key, members, decodeBools))
}

// SCard returns the number of members of the set at key.
func (c *commands) SCard(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("SCARD", key))
}

// SCard queues SCARD; see Client.SCard.
func (b *Batch) SCard(key string) *Reply[int64] { return add(b, keyIntCmd("SCARD", key)) }

// SInter returns the members of every set of keys.
func (c *commands) SInter(ctx context.Context, keys ...string) ([]string, error) {
	return run(ctx, c.r, keysStringsCmd("SINTER", keys))
}

// SInter queues SINTER; see Client.SInter.
func (b *Batch) SInter(keys ...string) *Reply[[]string] {
	return add(b, keysStringsCmd("SINTER", keys))
}

// SUnion returns the members of any set of keys.
func (c *commands) SUnion(ctx context.Context, keys ...string) ([]string, error) {
	return run(ctx, c.r, keysStringsCmd("SUNION", keys))
}

// SUnion queues SUNION; see Client.SUnion.
func (b *Batch) SUnion(keys ...string) *Reply[[]string] {
	return add(b, keysStringsCmd("SUNION", keys))
}

// SDiff returns the members of the first set that no other set of keys has.
func (c *commands) SDiff(ctx context.Context, keys ...string) ([]string, error) {
	return run(ctx, c.r, keysStringsCmd("SDIFF", keys))
}

// SDiff queues SDIFF; see Client.SDiff.
func (b *Batch) SDiff(keys ...string) *Reply[[]string] { return add(b, keysStringsCmd("SDIFF", keys)) }

func keysStringsCmd(name string, keys []string) cmd[[]string] {
	return cmd[[]string]{withKeys(name, keys), decodeStrings}
}

// SPop removes and returns a random member; found is false for an empty set.
func (c *commands) SPop(ctx context.Context, key string) (string, bool, error) {
	return runMaybe(ctx, c.r, keyMaybeStringCmd("SPOP", key))
}

// SPop queues SPOP; see Client.SPop.
func (b *Batch) SPop(key string) *MaybeReply[string] {
	return addMaybe(b, keyMaybeStringCmd("SPOP", key))
}

// SPopCount removes and returns up to count random members.
func (c *commands) SPopCount(ctx context.Context, key string, count int64) ([]string, error) {
	return run(ctx, c.r, keyCountStringsCmd("SPOP", key, count))
}

// SPopCount queues SPOP with a count; see Client.SPopCount.
func (b *Batch) SPopCount(key string, count int64) *Reply[[]string] {
	return add(b, keyCountStringsCmd("SPOP", key, count))
}

// SRandMember returns a random member without removing it.
func (c *commands) SRandMember(ctx context.Context, key string) (string, bool, error) {
	return runMaybe(ctx, c.r, keyMaybeStringCmd("SRANDMEMBER", key))
}

// SRandMember queues SRANDMEMBER; see Client.SRandMember.
func (b *Batch) SRandMember(key string) *MaybeReply[string] {
	return addMaybe(b, keyMaybeStringCmd("SRANDMEMBER", key))
}

// SRandMemberCount returns up to count distinct random members (count > 0),
// or |count| members that may repeat (count < 0), as SRANDMEMBER does.
func (c *commands) SRandMemberCount(ctx context.Context, key string, count int64) ([]string, error) {
	return run(ctx, c.r, keyCountStringsCmd("SRANDMEMBER", key, count))
}

// SRandMemberCount queues SRANDMEMBER with a count; see Client.SRandMemberCount.
func (b *Batch) SRandMemberCount(key string, count int64) *Reply[[]string] {
	return add(b, keyCountStringsCmd("SRANDMEMBER", key, count))
}

func keyMaybeStringCmd(name, key string) maybeCmd[string] {
	req := command(name, 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return maybeCmd[string]{req, decodeTextOrAbsent}
}

func keyCountStringsCmd(name, key string, count int64) cmd[[]string] {
	req := command(name, 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, count)
	return cmd[[]string]{req, decodeStringsOrNone}
}

func decodeTextOrAbsent(v Value) (string, bool, error) {
	if v.IsNull() {
		return "", false, nil
	}
	s, err := v.Text()
	return s, err == nil, err
}

func decodeStringsOrNone(v Value) ([]string, error) {
	if v.IsNull() {
		return nil, nil
	}
	return v.Strings()
}
