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

// Unlink deletes keys, reclaiming their memory in the background, and
// returns how many existed (UNLINK).
func (c *commands) Unlink(ctx context.Context, keys ...string) (int64, error) {
	return run(ctx, c.r, keysIntCmd("UNLINK", keys))
}

// Unlink queues UNLINK; see Client.Unlink.
func (b *Batch) Unlink(keys ...string) *Reply[int64] { return add(b, keysIntCmd("UNLINK", keys)) }

// Touch updates the last access time of keys and returns how many exist
// (TOUCH).
func (c *commands) Touch(ctx context.Context, keys ...string) (int64, error) {
	return run(ctx, c.r, keysIntCmd("TOUCH", keys))
}

// Touch queues TOUCH; see Client.Touch.
func (b *Batch) Touch(keys ...string) *Reply[int64] { return add(b, keysIntCmd("TOUCH", keys)) }

// ExpireAt sets key to expire at the instant at, with millisecond
// precision (PEXPIREAT), and reports whether the key exists. An instant in
// the past deletes the key, as in Redis. (Expire already takes a
// millisecond TTL, so there is no separate PExpire.)
func (c *commands) ExpireAt(ctx context.Context, key string, at time.Time) (bool, error) {
	return run(ctx, c.r, expireAtCmd(key, at))
}

// ExpireAt queues PEXPIREAT; see Client.ExpireAt.
func (b *Batch) ExpireAt(key string, at time.Time) *Reply[bool] { return add(b, expireAtCmd(key, at)) }

func expireAtCmd(key string, at time.Time) cmd[bool] {
	req := command("PEXPIREAT", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, at.UnixMilli())
	return cmd[bool]{req, decodeOne}
}

// Persist removes key's expiry and reports whether it had one (false also
// for a missing key).
func (c *commands) Persist(ctx context.Context, key string) (bool, error) {
	return run(ctx, c.r, keyOneCmd("PERSIST", key))
}

// Persist queues PERSIST; see Client.Persist.
func (b *Batch) Persist(key string) *Reply[bool] { return add(b, keyOneCmd("PERSIST", key)) }

// keyOneCmd is a command of one key answering 1 (true) or 0.
func keyOneCmd(name, key string) cmd[bool] {
	req := command(name, 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return cmd[bool]{req, decodeOne}
}

// Type returns the type of the value at key: "string", "list", "set",
// "zset", "hash", "stream", or "none" for a missing key.
func (c *commands) Type(ctx context.Context, key string) (string, error) {
	return run(ctx, c.r, typeCmd(key))
}

// Type queues TYPE; see Client.Type.
func (b *Batch) Type(key string) *Reply[string] { return add(b, typeCmd(key)) }

func typeCmd(key string) cmd[string] {
	req := command("TYPE", 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return cmd[string]{req, decodeText}
}

// Rename renames key to newKey, replacing any value at newKey. A missing
// key is the server's error (a *RedisError).
func (c *commands) Rename(ctx context.Context, key, newKey string) error {
	_, err := run(ctx, c.r, renameCmd(key, newKey))
	return err
}

// Rename queues RENAME; see Client.Rename.
func (b *Batch) Rename(key, newKey string) *Reply[struct{}] { return add(b, renameCmd(key, newKey)) }

func renameCmd(key, newKey string) cmd[struct{}] {
	req := command("RENAME", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, newKey)
	return cmd[struct{}]{req, decodeNothing}
}

// RenameNX renames key to newKey only if newKey does not exist, and
// reports whether it did. A missing key is the server's error.
func (c *commands) RenameNX(ctx context.Context, key, newKey string) (bool, error) {
	return run(ctx, c.r, renameNXCmd(key, newKey))
}

// RenameNX queues RENAMENX; see Client.RenameNX.
func (b *Batch) RenameNX(key, newKey string) *Reply[bool] { return add(b, renameNXCmd(key, newKey)) }

func renameNXCmd(key, newKey string) cmd[bool] {
	req := command("RENAMENX", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, newKey)
	return cmd[bool]{req, decodeOne}
}
