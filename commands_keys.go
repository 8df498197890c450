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
func (c *Client) Del(ctx context.Context, keys ...string) (int64, error) {
	return c.keysCommand(ctx, "DEL", keys)
}

// Exists returns how many of keys exist (a key named twice counts twice).
func (c *Client) Exists(ctx context.Context, keys ...string) (int64, error) {
	return c.keysCommand(ctx, "EXISTS", keys)
}

func (c *Client) keysCommand(ctx context.Context, name string, keys []string) (int64, error) {
	req := command(name, len(keys))
	for _, k := range keys {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
	}
	return intReply(c.do(ctx, req))
}

// Expire sets key to expire after ttl (millisecond precision, PEXPIRE) and
// reports whether the key exists. A positive ttl shorter than a millisecond
// counts as one millisecond; a ttl of zero or less deletes the key, as in
// Redis.
func (c *Client) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	req := command("PEXPIRE", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, ttlMillis(ttl))
	n, err := intReply(c.do(ctx, req))
	return n == 1, err
}

// TTL returns the time key has left to live, with millisecond precision
// (PTTL); TTLPersistent for a key without expiry; TTLKeyMissing for a key
// that does not exist.
func (c *Client) TTL(ctx context.Context, key string) (time.Duration, error) {
	ms, err := c.intCommand(ctx, "PTTL", key)
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
