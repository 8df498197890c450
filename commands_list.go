package redmux

import (
	"context"
	"strconv"
	"time"

	"github.com/redmux/redmux/resp"
)

// Lists. Elements are []byte.

// ListEnd names an end of a list, for LMove and BLMove.
type ListEnd string

// The two ends of a list.
const (
	Left  ListEnd = "LEFT"
	Right ListEnd = "RIGHT"
)

// LPush prepends values (the last ends up first) and returns the length.
func (c *commands) LPush(ctx context.Context, key string, values ...[]byte) (int64, error) {
	return run(ctx, c.r, keyValuesCmd("LPUSH", key, values))
}

// LPush queues LPUSH; see Client.LPush.
func (b *Batch) LPush(key string, values ...[]byte) *Reply[int64] {
	return add(b, keyValuesCmd("LPUSH", key, values))
}

// RPush appends values and returns the length.
func (c *commands) RPush(ctx context.Context, key string, values ...[]byte) (int64, error) {
	return run(ctx, c.r, keyValuesCmd("RPUSH", key, values))
}

// RPush queues RPUSH; see Client.RPush.
func (b *Batch) RPush(key string, values ...[]byte) *Reply[int64] {
	return add(b, keyValuesCmd("RPUSH", key, values))
}

func keyValuesCmd(name, key string, values [][]byte) cmd[int64] {
	req := command(name, 1+len(values))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	for _, v := range values {
		req.Cmd = resp.AppendBulk(req.Cmd, v)
	}
	return cmd[int64]{req, decodeInt}
}

// LPop removes and returns the first element; found is false for an
// empty or missing list.
func (c *commands) LPop(ctx context.Context, key string) ([]byte, bool, error) {
	return runMaybe(ctx, c.r, keyMaybeBytesCmd("LPOP", key))
}

// LPop queues LPOP; see Client.LPop.
func (b *Batch) LPop(key string) *MaybeReply[[]byte] {
	return addMaybe(b, keyMaybeBytesCmd("LPOP", key))
}

// RPop removes and returns the last element, as LPop does the first.
func (c *commands) RPop(ctx context.Context, key string) ([]byte, bool, error) {
	return runMaybe(ctx, c.r, keyMaybeBytesCmd("RPOP", key))
}

// RPop queues RPOP; see Client.RPop.
func (b *Batch) RPop(key string) *MaybeReply[[]byte] {
	return addMaybe(b, keyMaybeBytesCmd("RPOP", key))
}

// LPopCount removes and returns up to count elements from the head; none
// for an empty or missing list.
func (c *commands) LPopCount(ctx context.Context, key string, count int64) ([][]byte, error) {
	return run(ctx, c.r, popCountCmd("LPOP", key, count))
}

// LPopCount queues LPOP with a count; see Client.LPopCount.
func (b *Batch) LPopCount(key string, count int64) *Reply[[][]byte] {
	return add(b, popCountCmd("LPOP", key, count))
}

// RPopCount removes and returns up to count elements from the tail.
func (c *commands) RPopCount(ctx context.Context, key string, count int64) ([][]byte, error) {
	return run(ctx, c.r, popCountCmd("RPOP", key, count))
}

// RPopCount queues RPOP with a count; see Client.RPopCount.
func (b *Batch) RPopCount(key string, count int64) *Reply[[][]byte] {
	return add(b, popCountCmd("RPOP", key, count))
}

func popCountCmd(name, key string, count int64) cmd[[][]byte] {
	req := command(name, 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, count)
	return cmd[[][]byte]{req, decodeBytesListOrNone}
}

// decodeBytesListOrNone is decodeBytesList reading a null (nothing to pop)
// as no elements.
func decodeBytesListOrNone(v Value) ([][]byte, error) {
	if v.IsNull() {
		return nil, nil
	}
	return decodeBytesList(v)
}

// LRange returns the elements from start to stop (inclusive; negative
// counts from the end).
func (c *commands) LRange(ctx context.Context, key string, start, stop int64) ([][]byte, error) {
	return run(ctx, c.r, rangeCmd("LRANGE", key, start, stop))
}

// LRange queues LRANGE; see Client.LRange.
func (b *Batch) LRange(key string, start, stop int64) *Reply[[][]byte] {
	return add(b, rangeCmd("LRANGE", key, start, stop))
}

func rangeCmd(name, key string, start, stop int64) cmd[[][]byte] {
	req := command(name, 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, start)
	req.Cmd = resp.AppendBulkInt(req.Cmd, stop)
	return cmd[[][]byte]{req, decodeBytesList}
}

// LLen returns the length of the list at key.
func (c *commands) LLen(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("LLEN", key))
}

// LLen queues LLEN; see Client.LLen.
func (b *Batch) LLen(key string) *Reply[int64] { return add(b, keyIntCmd("LLEN", key)) }

// LRem removes count occurrences of value (all if 0; from the tail if
// negative) and returns how many were removed.
func (c *commands) LRem(ctx context.Context, key string, count int64, value []byte) (int64, error) {
	return run(ctx, c.r, lremCmd(key, count, value))
}

// LRem queues LREM; see Client.LRem.
func (b *Batch) LRem(key string, count int64, value []byte) *Reply[int64] {
	return add(b, lremCmd(key, count, value))
}

func lremCmd(key string, count int64, value []byte) cmd[int64] {
	req := command("LREM", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, count)
	req.Cmd = resp.AppendBulk(req.Cmd, value)
	return cmd[int64]{req, decodeInt}
}

// LTrim keeps only the elements from start to stop.
func (c *commands) LTrim(ctx context.Context, key string, start, stop int64) error {
	_, err := run(ctx, c.r, ltrimCmd(key, start, stop))
	return err
}

// LTrim queues LTRIM; see Client.LTrim.
func (b *Batch) LTrim(key string, start, stop int64) *Reply[struct{}] {
	return add(b, ltrimCmd(key, start, stop))
}

func ltrimCmd(key string, start, stop int64) cmd[struct{}] {
	c := rangeCmd("LTRIM", key, start, stop)
	return cmd[struct{}]{c.req, decodeNothing}
}

// LIndex returns the element at index; found is false out of range.
func (c *commands) LIndex(ctx context.Context, key string, index int64) ([]byte, bool, error) {
	return runMaybe(ctx, c.r, lindexCmd(key, index))
}

// LIndex queues LINDEX; see Client.LIndex.
func (b *Batch) LIndex(key string, index int64) *MaybeReply[[]byte] {
	return addMaybe(b, lindexCmd(key, index))
}

func lindexCmd(key string, index int64) maybeCmd[[]byte] {
	req := command("LINDEX", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, index)
	return maybeCmd[[]byte]{req, decodeBytesOrAbsent}
}

// LMove moves the element at the from end of src to the to end of dst and
// returns it; found is false when src is empty.
func (c *commands) LMove(ctx context.Context, src, dst string, from, to ListEnd) ([]byte, bool, error) {
	return runMaybe(ctx, c.r, lmoveCmd("LMOVE", src, dst, from, to, nil))
}

// LMove queues LMOVE; see Client.LMove.
func (b *Batch) LMove(src, dst string, from, to ListEnd) *MaybeReply[[]byte] {
	return addMaybe(b, lmoveCmd("LMOVE", src, dst, from, to, nil))
}

func lmoveCmd(name, src, dst string, from, to ListEnd, timeout *time.Duration) maybeCmd[[]byte] {
	nargs := 4
	if timeout != nil {
		nargs++
	}
	req := command(name, nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, src)
	req.Cmd = resp.AppendBulkString(req.Cmd, dst)
	req.Cmd = resp.AppendBulkString(req.Cmd, string(from))
	req.Cmd = resp.AppendBulkString(req.Cmd, string(to))
	if timeout != nil {
		req.Cmd = resp.AppendBulkString(req.Cmd, timeoutSeconds(*timeout))
	}
	return maybeCmd[[]byte]{req, decodeBytesOrAbsent}
}

// KeyValue is the key a blocking pop took an element from, and the element.
type KeyValue struct {
	Key   string
	Value []byte
}

// BLPop waits up to timeout (0: forever) for an element at the head of the
// first non-empty list of keys, removes and returns it; found is false when
// the timeout passed. It runs on a dedicated connection, never blocking
// the shared ones; Config.CommandTimeout is added to timeout.
func (c *commands) BLPop(ctx context.Context, timeout time.Duration, keys ...string) (KeyValue, bool, error) {
	return runMaybeBlocking(ctx, c.r, blockingPopCmd("BLPOP", timeout, keys), timeout)
}

// BRPop is BLPop taking from the tails.
func (c *commands) BRPop(ctx context.Context, timeout time.Duration, keys ...string) (KeyValue, bool, error) {
	return runMaybeBlocking(ctx, c.r, blockingPopCmd("BRPOP", timeout, keys), timeout)
}

// BLMove is LMove waiting up to timeout (0: forever) for src to have an
// element, on a dedicated connection like BLPop.
func (c *commands) BLMove(ctx context.Context, src, dst string, from, to ListEnd, timeout time.Duration) ([]byte, bool, error) {
	return runMaybeBlocking(ctx, c.r, lmoveCmd("BLMOVE", src, dst, from, to, &timeout), timeout)
}

func blockingPopCmd(name string, timeout time.Duration, keys []string) maybeCmd[KeyValue] {
	req := command(name, len(keys)+1)
	for _, k := range keys {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
	}
	req.Cmd = resp.AppendBulkString(req.Cmd, timeoutSeconds(timeout))
	return maybeCmd[KeyValue]{req, decodeKeyValue}
}

func decodeKeyValue(v Value) (KeyValue, bool, error) {
	if v.IsNull() {
		return KeyValue{}, false, nil
	}
	parts, err := v.Array()
	if err != nil {
		return KeyValue{}, false, err
	}
	if len(parts) != 2 {
		return KeyValue{}, false, &TypeError{Accessor: "BLPop", Want: "[key, element]", Got: v.Type(), Index: -1}
	}
	key, err := parts[0].Text()
	if err != nil {
		return KeyValue{}, false, err
	}
	value, err := parts[1].Bytes()
	return KeyValue{Key: key, Value: value}, err == nil, err
}

// timeoutSeconds is a blocking command's timeout argument: seconds, with
// a fraction.
func timeoutSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
