package redmux

import (
	"context"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// Get returns the value stored at key. A missing key returns found ==
// false and a nil error, distinct from an empty value (found == true, a
// non-nil empty slice). The returned slice belongs to the caller.
func (c *commands) Get(ctx context.Context, key string) (value []byte, found bool, err error) {
	return runMaybe(ctx, c.r, getCmd(key))
}

// Get queues GET; see Client.Get.
func (b *Batch) Get(key string) *MaybeReply[[]byte] { return addMaybe(b, getCmd(key)) }

func getCmd(key string) maybeCmd[[]byte] {
	req := command("GET", 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return maybeCmd[[]byte]{req, decodeBytesOrAbsent}
}

// Set stores value at key, replacing any value and TTL. value is binary
// safe and is not retained after Set returns.
func (c *commands) Set(ctx context.Context, key string, value []byte) error {
	_, err := run(ctx, c.r, setCmd(key, value))
	return err
}

// Set queues SET; see Client.Set.
func (b *Batch) Set(key string, value []byte) *Reply[struct{}] { return add(b, setCmd(key, value)) }

func setCmd(key string, value []byte) cmd[struct{}] {
	req := command("SET", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulk(req.Cmd, value)
	return cmd[struct{}]{req, decodeNothing}
}

// SetCondition restricts when SetWith stores its value.
type SetCondition int

const (
	// SetAlways stores the value whether or not the key exists.
	SetAlways SetCondition = iota
	// SetIfAbsent stores only if the key does not exist (NX).
	SetIfAbsent
	// SetIfPresent stores only if the key exists (XX).
	SetIfPresent
)

// SetOptions are SET's options. The zero value is a plain SET.
type SetOptions struct {
	// TTL, when positive, sets an expiry: EX when it is whole seconds,
	// PX otherwise. Mutually exclusive with KeepTTL.
	TTL time.Duration
	// KeepTTL keeps the key's existing expiry (KEEPTTL).
	KeepTTL bool
	// Condition is NX, XX or neither.
	Condition SetCondition
	// Get asks for the previous value (GET).
	Get bool
}

// SetResult is what SetWith reports.
type SetResult struct {
	// Stored reports whether the value was written; false only when the
	// Condition prevented it.
	Stored bool
	// Previous is the value the key held before, when Options.Get was set
	// and the key existed (PreviousFound).
	Previous      []byte
	PreviousFound bool
}

// SetWith runs SET with options (EX/PX, KEEPTTL, NX/XX, GET).
func (c *commands) SetWith(ctx context.Context, key string, value []byte, opts SetOptions) (SetResult, error) {
	return run(ctx, c.r, setWithCmd(key, value, opts))
}

// SetWith queues SET with options; see Client.SetWith.
func (b *Batch) SetWith(key string, value []byte, opts SetOptions) *Reply[SetResult] {
	return add(b, setWithCmd(key, value, opts))
}

func setWithCmd(key string, value []byte, opts SetOptions) cmd[SetResult] {
	return cmd[SetResult]{setRequest(key, value, opts), setDecoder(opts)}
}

// setDecoder picks the decoder of SET's reply for opts. Each is a plain
// function, so that SetWith allocates no closure.
func setDecoder(opts SetOptions) func(Value) (SetResult, error) {
	switch {
	case !opts.Get:
		return decodeSetStored
	case opts.Condition == SetIfAbsent:
		return decodeSetGetIfAbsent
	case opts.Condition == SetIfPresent:
		return decodeSetGetIfPresent
	}
	return decodeSetGet
}

// decodeSetStored: without GET, SET answers OK, or null when NX/XX
// prevented it.
func decodeSetStored(v Value) (SetResult, error) { return SetResult{Stored: !v.IsNull()}, nil }

// decodeSetGet: with GET, SET answers the previous value or null.
func decodeSetGet(v Value) (SetResult, error) {
	res := SetResult{PreviousFound: !v.IsNull(), Stored: true}
	if res.PreviousFound {
		var err error
		if res.Previous, err = v.Bytes(); err != nil {
			return SetResult{}, err
		}
	}
	return res, nil
}

func decodeSetGetIfAbsent(v Value) (SetResult, error) {
	res, err := decodeSetGet(v)
	res.Stored = err == nil && !res.PreviousFound
	return res, err
}

func decodeSetGetIfPresent(v Value) (SetResult, error) {
	res, err := decodeSetGet(v)
	res.Stored = err == nil && res.PreviousFound
	return res, err
}

// setRequest encodes SET with its options.
func setRequest(key string, value []byte, opts SetOptions) *manager.Request {
	args := 2
	if opts.TTL > 0 {
		args += 2
	}
	if opts.KeepTTL {
		args++
	}
	if opts.Condition != SetAlways {
		args++
	}
	if opts.Get {
		args++
	}
	req := command("SET", args)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulk(req.Cmd, value)
	if opts.TTL > 0 {
		if opts.TTL%time.Second == 0 {
			req.Cmd = resp.AppendBulkString(req.Cmd, "EX")
			req.Cmd = resp.AppendBulkInt(req.Cmd, int64(opts.TTL/time.Second))
		} else {
			req.Cmd = resp.AppendBulkString(req.Cmd, "PX")
			req.Cmd = resp.AppendBulkInt(req.Cmd, ttlMillis(opts.TTL))
		}
	}
	if opts.KeepTTL {
		req.Cmd = resp.AppendBulkString(req.Cmd, "KEEPTTL")
	}
	switch opts.Condition {
	case SetIfAbsent:
		req.Cmd = resp.AppendBulkString(req.Cmd, "NX")
	case SetIfPresent:
		req.Cmd = resp.AppendBulkString(req.Cmd, "XX")
	}
	if opts.Get {
		req.Cmd = resp.AppendBulkString(req.Cmd, "GET")
	}
	return req
}

// MGet returns the values of keys, in order. A missing key's entry is nil;
// a present but empty value is a non-nil empty slice.
func (c *commands) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	return run(ctx, c.r, mgetCmd(keys))
}

// MGet queues MGET; see Client.MGet.
func (b *Batch) MGet(keys ...string) *Reply[[][]byte] { return add(b, mgetCmd(keys)) }

func mgetCmd(keys []string) cmd[[][]byte] {
	return cmd[[][]byte]{withKeys("MGET", keys), decodeBytesList}
}

func decodeBytesList(v Value) ([][]byte, error) {
	elems, err := v.Array()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(elems))
	for i, e := range elems {
		if e.IsNull() {
			continue
		}
		if out[i], err = e.Bytes(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MSet stores every key/value pair of values in one atomic command.
func (c *commands) MSet(ctx context.Context, values map[string][]byte) error {
	_, err := run(ctx, c.r, msetCmd(values))
	return err
}

// MSet queues MSET; see Client.MSet.
func (b *Batch) MSet(values map[string][]byte) *Reply[struct{}] { return add(b, msetCmd(values)) }

func msetCmd(values map[string][]byte) cmd[struct{}] {
	req := command("MSET", 2*len(values))
	for k, v := range values {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
		req.Cmd = resp.AppendBulk(req.Cmd, v)
	}
	return cmd[struct{}]{req, decodeNothing}
}

// Incr adds 1 to the integer at key and returns the result.
func (c *commands) Incr(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("INCR", key))
}

// Incr queues INCR; see Client.Incr.
func (b *Batch) Incr(key string) *Reply[int64] { return add(b, keyIntCmd("INCR", key)) }

// Decr subtracts 1 from the integer at key and returns the result.
func (c *commands) Decr(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("DECR", key))
}

// Decr queues DECR; see Client.Decr.
func (b *Batch) Decr(key string) *Reply[int64] { return add(b, keyIntCmd("DECR", key)) }

// IncrBy adds delta to the integer at key and returns the result.
func (c *commands) IncrBy(ctx context.Context, key string, delta int64) (int64, error) {
	return run(ctx, c.r, incrByCmd(key, delta))
}

// IncrBy queues INCRBY; see Client.IncrBy.
func (b *Batch) IncrBy(key string, delta int64) *Reply[int64] { return add(b, incrByCmd(key, delta)) }

func incrByCmd(key string, delta int64) cmd[int64] {
	req := command("INCRBY", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, delta)
	return cmd[int64]{req, decodeInt}
}

// keyIntCmd is a command of one key answering an integer (INCR, DECR,
// PTTL, ...).
func keyIntCmd(name, key string) cmd[int64] {
	req := command(name, 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return cmd[int64]{req, decodeInt}
}

// The commands below follow the package's type conventions: a string's
// value is []byte in arguments and results, a key is a string, a count or
// length is an int64, a duration is a time.Duration.

// GetDel returns the value stored at key and deletes the key (GETDEL,
// Redis 6.2). A missing key returns found == false and a nil error.
func (c *commands) GetDel(ctx context.Context, key string) (value []byte, found bool, err error) {
	return runMaybe(ctx, c.r, keyMaybeBytesCmd("GETDEL", key))
}

// GetDel queues GETDEL; see Client.GetDel.
func (b *Batch) GetDel(key string) *MaybeReply[[]byte] {
	return addMaybe(b, keyMaybeBytesCmd("GETDEL", key))
}

// keyMaybeBytesCmd is a command of one key answering a value or null.
func keyMaybeBytesCmd(name, key string) maybeCmd[[]byte] {
	req := command(name, 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return maybeCmd[[]byte]{req, decodeBytesOrAbsent}
}

// GetExOptions are GETEX's options. The zero value changes nothing: GETEX
// then reads like GET.
type GetExOptions struct {
	// TTL, when positive, sets the key's expiry, with millisecond
	// precision (PX); a positive TTL under a millisecond counts as one.
	// Zero leaves the expiry alone; a negative TTL is the server's error.
	TTL time.Duration
	// Persist removes the key's expiry (PERSIST). Setting it together
	// with a TTL is the server's error.
	Persist bool
}

// GetEx returns the value stored at key and changes its expiry (GETEX,
// Redis 6.2). A missing key returns found == false and a nil error, and
// nothing is changed.
func (c *commands) GetEx(ctx context.Context, key string, opts GetExOptions) (value []byte, found bool, err error) {
	return runMaybe(ctx, c.r, getExCmd(key, opts))
}

// GetEx queues GETEX; see Client.GetEx.
func (b *Batch) GetEx(key string, opts GetExOptions) *MaybeReply[[]byte] {
	return addMaybe(b, getExCmd(key, opts))
}

func getExCmd(key string, opts GetExOptions) maybeCmd[[]byte] {
	args := 1
	if opts.TTL != 0 {
		args += 2
	}
	if opts.Persist {
		args++
	}
	req := command("GETEX", args)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	if opts.TTL != 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "PX")
		req.Cmd = resp.AppendBulkInt(req.Cmd, ttlMillis(opts.TTL))
	}
	if opts.Persist {
		req.Cmd = resp.AppendBulkString(req.Cmd, "PERSIST")
	}
	return maybeCmd[[]byte]{req, decodeBytesOrAbsent}
}

// IncrByFloat adds delta to the number at key (a missing key counts as 0)
// and returns the result (INCRBYFLOAT).
func (c *commands) IncrByFloat(ctx context.Context, key string, delta float64) (float64, error) {
	return run(ctx, c.r, incrByFloatCmd(key, delta))
}

// IncrByFloat queues INCRBYFLOAT; see Client.IncrByFloat.
func (b *Batch) IncrByFloat(key string, delta float64) *Reply[float64] {
	return add(b, incrByFloatCmd(key, delta))
}

func incrByFloatCmd(key string, delta float64) cmd[float64] {
	req := command("INCRBYFLOAT", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkFloat(req.Cmd, delta)
	return cmd[float64]{req, decodeFloat}
}

// decodeFloat accepts a RESP3 double and a RESP2 bulk string alike.
func decodeFloat(v Value) (float64, error) { return v.Float64() }

// DecrBy subtracts delta from the integer at key and returns the result.
func (c *commands) DecrBy(ctx context.Context, key string, delta int64) (int64, error) {
	return run(ctx, c.r, keyInt64Cmd("DECRBY", key, delta))
}

// DecrBy queues DECRBY; see Client.DecrBy.
func (b *Batch) DecrBy(key string, delta int64) *Reply[int64] {
	return add(b, keyInt64Cmd("DECRBY", key, delta))
}

// keyInt64Cmd is a command of one key and one integer answering an
// integer.
func keyInt64Cmd(name, key string, n int64) cmd[int64] {
	req := command(name, 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, n)
	return cmd[int64]{req, decodeInt}
}

// Append appends value to the string at key (creating it) and returns the
// string's new length in bytes.
func (c *commands) Append(ctx context.Context, key string, value []byte) (int64, error) {
	return run(ctx, c.r, appendCmd(key, value))
}

// Append queues APPEND; see Client.Append.
func (b *Batch) Append(key string, value []byte) *Reply[int64] { return add(b, appendCmd(key, value)) }

func appendCmd(key string, value []byte) cmd[int64] {
	req := command("APPEND", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulk(req.Cmd, value)
	return cmd[int64]{req, decodeInt}
}

// StrLen returns the length in bytes of the string at key, 0 for a missing
// key.
func (c *commands) StrLen(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("STRLEN", key))
}

// StrLen queues STRLEN; see Client.StrLen.
func (b *Batch) StrLen(key string) *Reply[int64] { return add(b, keyIntCmd("STRLEN", key)) }

// GetRange returns the bytes of the string at key from start to end, both
// inclusive; negative offsets count from the end (-1 is the last byte).
// A missing key, like a range outside the string, gives an empty slice.
func (c *commands) GetRange(ctx context.Context, key string, start, end int64) ([]byte, error) {
	return run(ctx, c.r, getRangeCmd(key, start, end))
}

// GetRange queues GETRANGE; see Client.GetRange.
func (b *Batch) GetRange(key string, start, end int64) *Reply[[]byte] {
	return add(b, getRangeCmd(key, start, end))
}

func getRangeCmd(key string, start, end int64) cmd[[]byte] {
	req := command("GETRANGE", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, start)
	req.Cmd = resp.AppendBulkInt(req.Cmd, end)
	return cmd[[]byte]{req, decodeBytes}
}

// decodeBytes decodes a string reply that is never null.
func decodeBytes(v Value) ([]byte, error) { return v.Bytes() }

// SetRange overwrites the string at key from offset on with value,
// padding with zero bytes if the string is shorter than offset, and
// returns the string's new length in bytes.
func (c *commands) SetRange(ctx context.Context, key string, offset int64, value []byte) (int64, error) {
	return run(ctx, c.r, setRangeCmd(key, offset, value))
}

// SetRange queues SETRANGE; see Client.SetRange.
func (b *Batch) SetRange(key string, offset int64, value []byte) *Reply[int64] {
	return add(b, setRangeCmd(key, offset, value))
}

func setRangeCmd(key string, offset int64, value []byte) cmd[int64] {
	req := command("SETRANGE", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, offset)
	req.Cmd = resp.AppendBulk(req.Cmd, value)
	return cmd[int64]{req, decodeInt}
}
