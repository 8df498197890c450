package redmux

import (
	"context"
	"time"

	"github.com/redmux/redmux/resp"
)

// Special results of TTL.
const (
	// TTLPersistent is what TTL returns for a key that has no expiry.
	TTLPersistent time.Duration = -1
	// TTLKeyMissing is what TTL returns for a key that does not exist.
	TTLKeyMissing time.Duration = -2
)

// Del deletes keys and returns how many existed.
func (c *commands) Del(ctx context.Context, keys ...string) (int64, error) {
	return run(ctx, c.r, keysIntCmd("DEL", keys))
}

// Del queues DEL; see Client.Del.
func (b *Batch) Del(keys ...string) *Reply[int64] { return add(b, keysIntCmd("DEL", keys)) }

// Exists returns how many of keys exist (a key named twice counts twice).
func (c *commands) Exists(ctx context.Context, keys ...string) (int64, error) {
	return run(ctx, c.r, keysIntCmd("EXISTS", keys))
}

// Exists queues EXISTS; see Client.Exists.
func (b *Batch) Exists(keys ...string) *Reply[int64] { return add(b, keysIntCmd("EXISTS", keys)) }

func keysIntCmd(name string, keys []string) cmd[int64] {
	return cmd[int64]{withKeys(name, keys), decodeInt}
}

// Expire sets key to expire after ttl (millisecond precision, PEXPIRE) and
// reports whether the key exists. A positive ttl shorter than a millisecond
// counts as one millisecond; a ttl of zero or less deletes the key, as in
// Redis.
func (c *commands) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return run(ctx, c.r, expireCmd(key, ttl))
}

// Expire queues PEXPIRE; see Client.Expire.
func (b *Batch) Expire(key string, ttl time.Duration) *Reply[bool] {
	return add(b, expireCmd(key, ttl))
}

func expireCmd(key string, ttl time.Duration) cmd[bool] {
	req := command("PEXPIRE", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, ttlMillis(ttl))
	return cmd[bool]{req, decodeOne}
}

// TTL returns the time key has left to live, with millisecond precision
// (PTTL); TTLPersistent for a key without expiry; TTLKeyMissing for a key
// that does not exist.
func (c *commands) TTL(ctx context.Context, key string) (time.Duration, error) {
	return run(ctx, c.r, ttlCmd(key))
}

// TTL queues PTTL; see Client.TTL.
func (b *Batch) TTL(key string) *Reply[time.Duration] { return add(b, ttlCmd(key)) }

func ttlCmd(key string) cmd[time.Duration] {
	req := command("PTTL", 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return cmd[time.Duration]{req, decodeTTL}
}

func decodeTTL(v Value) (time.Duration, error) {
	ms, err := v.Int64()
	switch {
	case err != nil:
		return 0, err
	case ms == -1:
		return TTLPersistent, nil
	case ms == -2:
		return TTLKeyMissing, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// ttlMillis is the one conversion of a TTL to a millisecond argument: a
// positive ttl never becomes 0 (which would delete the key at once).
func ttlMillis(ttl time.Duration) int64 {
	ms := ttl.Milliseconds()
	if ttl > 0 && ms == 0 {
		return 1
	}
	return ms
}
