package redmux

import (
	"context"

	"github.com/redmux/redmux/resp"
)

// Hashes. Fields are strings; values are []byte, as elsewhere: stored data
// is bytes, names are strings.

// HSet sets the fields of the hash at key to their values and returns how
// many fields were new.
func (c *commands) HSet(ctx context.Context, key string, values map[string][]byte) (int64, error) {
	return run(ctx, c.r, hsetCmd(key, values))
}

// HSet queues HSET; see Client.HSet.
func (b *Batch) HSet(key string, values map[string][]byte) *Reply[int64] {
	return add(b, hsetCmd(key, values))
}

func hsetCmd(key string, values map[string][]byte) cmd[int64] {
	req := command("HSET", 1+2*len(values))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	for f, v := range values {
		req.Cmd = resp.AppendBulkString(req.Cmd, f)
		req.Cmd = resp.AppendBulk(req.Cmd, v)
	}
	return cmd[int64]{req, decodeInt}
}

// HGet returns the value of field in the hash at key; found is false when
// the field or the hash does not exist.
func (c *commands) HGet(ctx context.Context, key, field string) ([]byte, bool, error) {
	return runMaybe(ctx, c.r, keyFieldMaybeCmd("HGET", key, field))
}

// HGet queues HGET; see Client.HGet.
func (b *Batch) HGet(key, field string) *MaybeReply[[]byte] {
	return addMaybe(b, keyFieldMaybeCmd("HGET", key, field))
}

func keyFieldMaybeCmd(name, key, field string) maybeCmd[[]byte] {
	req := command(name, 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, field)
	return maybeCmd[[]byte]{req, decodeBytesOrAbsent}
}

// HMGet returns the values of fields, in order; a missing field's entry is
// nil.
func (c *commands) HMGet(ctx context.Context, key string, fields ...string) ([][]byte, error) {
	return run(ctx, c.r, keyNamesCmd("HMGET", key, fields, decodeBytesList))
}

// HMGet queues HMGET; see Client.HMGet.
func (b *Batch) HMGet(key string, fields ...string) *Reply[[][]byte] {
	return add(b, keyNamesCmd("HMGET", key, fields, decodeBytesList))
}

// keyNamesCmd is a command of a key followed by names (fields, members).
func keyNamesCmd[T any](name, key string, names []string, decode func(Value) (T, error)) cmd[T] {
	req := command(name, 1+len(names))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	for _, n := range names {
		req.Cmd = resp.AppendBulkString(req.Cmd, n)
	}
	return cmd[T]{req, decode}
}

// HGetAll returns every field of the hash at key with its value; an empty
// map for a missing key.
func (c *commands) HGetAll(ctx context.Context, key string) (map[string][]byte, error) {
	return run(ctx, c.r, keyNamesCmd("HGETALL", key, nil, decodeBytesMap))
}

// HGetAll queues HGETALL; see Client.HGetAll.
func (b *Batch) HGetAll(key string) *Reply[map[string][]byte] {
	return add(b, keyNamesCmd("HGETALL", key, nil, decodeBytesMap))
}

// decodeBytesMap reads a RESP3 map or a flat RESP2 array of field, value.
func decodeBytesMap(v Value) (map[string][]byte, error) {
	pairs, err := v.Map()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(pairs))
	for _, p := range pairs {
		k, err := p.Key.Text()
		if err != nil {
			return nil, err
		}
		if out[k], err = p.Value.Bytes(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HDel deletes fields and returns how many existed.
func (c *commands) HDel(ctx context.Context, key string, fields ...string) (int64, error) {
	return run(ctx, c.r, keyNamesCmd("HDEL", key, fields, decodeInt))
}

// HDel queues HDEL; see Client.HDel.
func (b *Batch) HDel(key string, fields ...string) *Reply[int64] {
	return add(b, keyNamesCmd("HDEL", key, fields, decodeInt))
}

// HExists reports whether field exists in the hash at key.
func (c *commands) HExists(ctx context.Context, key, field string) (bool, error) {
	return run(ctx, c.r, keyNamesCmd("HEXISTS", key, []string{field}, decodeOne))
}

// HExists queues HEXISTS; see Client.HExists.
func (b *Batch) HExists(key, field string) *Reply[bool] {
	return add(b, keyNamesCmd("HEXISTS", key, []string{field}, decodeOne))
}

// HIncrBy adds delta to the integer in field and returns the result.
func (c *commands) HIncrBy(ctx context.Context, key, field string, delta int64) (int64, error) {
	return run(ctx, c.r, hincrByCmd(key, field, delta))
}

// HIncrBy queues HINCRBY; see Client.HIncrBy.
func (b *Batch) HIncrBy(key, field string, delta int64) *Reply[int64] {
	return add(b, hincrByCmd(key, field, delta))
}

func hincrByCmd(key, field string, delta int64) cmd[int64] {
	req := command("HINCRBY", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, field)
	req.Cmd = resp.AppendBulkInt(req.Cmd, delta)
	return cmd[int64]{req, decodeInt}
}

// HIncrByFloat adds delta to the number in field and returns the result.
func (c *commands) HIncrByFloat(ctx context.Context, key, field string, delta float64) (float64, error) {
	return run(ctx, c.r, hincrByFloatCmd(key, field, delta))
}

// HIncrByFloat queues HINCRBYFLOAT; see Client.HIncrByFloat.
func (b *Batch) HIncrByFloat(key, field string, delta float64) *Reply[float64] {
	return add(b, hincrByFloatCmd(key, field, delta))
}

func hincrByFloatCmd(key, field string, delta float64) cmd[float64] {
	req := command("HINCRBYFLOAT", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, field)
	req.Cmd = resp.AppendBulkFloat(req.Cmd, delta)
	return cmd[float64]{req, decodeFloat}
}

// HLen returns the number of fields in the hash at key.
func (c *commands) HLen(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("HLEN", key))
}

// HLen queues HLEN; see Client.HLen.
func (b *Batch) HLen(key string) *Reply[int64] { return add(b, keyIntCmd("HLEN", key)) }

// HKeys returns the fields of the hash at key.
func (c *commands) HKeys(ctx context.Context, key string) ([]string, error) {
	return run(ctx, c.r, keyNamesCmd("HKEYS", key, nil, decodeStrings))
}

// HKeys queues HKEYS; see Client.HKeys.
func (b *Batch) HKeys(key string) *Reply[[]string] {
	return add(b, keyNamesCmd("HKEYS", key, nil, decodeStrings))
}

// HVals returns the values of the hash at key.
func (c *commands) HVals(ctx context.Context, key string) ([][]byte, error) {
	return run(ctx, c.r, keyNamesCmd("HVALS", key, nil, decodeBytesList))
}

// HVals queues HVALS; see Client.HVals.
func (b *Batch) HVals(key string) *Reply[[][]byte] {
	return add(b, keyNamesCmd("HVALS", key, nil, decodeBytesList))
}

func decodeStrings(v Value) ([]string, error) { return v.Strings() }
