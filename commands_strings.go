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
