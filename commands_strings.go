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
func (c *Client) Get(ctx context.Context, key string) (value []byte, found bool, err error) {
	req := command("GET", 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	v, err := c.do(ctx, req)
	if err != nil || v.IsNull() {
		return nil, false, err
	}
	value, err = v.Bytes()
	return value, err == nil, err
}

// Set stores value at key, replacing any value and TTL. value is binary
// safe and is not retained after Set returns.
func (c *Client) Set(ctx context.Context, key string, value []byte) error {
	req := command("SET", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulk(req.Cmd, value)
	_, err := c.do(ctx, req)
	return err
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
func (c *Client) SetWith(ctx context.Context, key string, value []byte, opts SetOptions) (SetResult, error) {
	v, err := c.do(ctx, setCommand(key, value, opts))
	if err != nil {
		return SetResult{}, err
	}
	if !opts.Get {
		return SetResult{Stored: !v.IsNull()}, nil
	}
	res := SetResult{PreviousFound: !v.IsNull()}
	if res.PreviousFound {
		if res.Previous, err = v.Bytes(); err != nil {
			return SetResult{}, err
		}
	}
	switch opts.Condition {
	case SetIfAbsent:
		res.Stored = !res.PreviousFound
	case SetIfPresent:
		res.Stored = res.PreviousFound
	default:
		res.Stored = true
	}
	return res, nil
}

func setCommand(key string, value []byte, opts SetOptions) *manager.Request {
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
func (c *Client) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	req := command("MGET", len(keys))
	for _, k := range keys {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
	}
	v, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
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
func (c *Client) MSet(ctx context.Context, values map[string][]byte) error {
	req := command("MSET", 2*len(values))
	for k, v := range values {
		req.Cmd = resp.AppendBulkString(req.Cmd, k)
		req.Cmd = resp.AppendBulk(req.Cmd, v)
	}
	_, err := c.do(ctx, req)
	return err
}

// Incr adds 1 to the integer at key and returns the result.
func (c *Client) Incr(ctx context.Context, key string) (int64, error) {
	return c.intCommand(ctx, "INCR", key)
}

// Decr subtracts 1 from the integer at key and returns the result.
func (c *Client) Decr(ctx context.Context, key string) (int64, error) {
	return c.intCommand(ctx, "DECR", key)
}

// IncrBy adds delta to the integer at key and returns the result.
func (c *Client) IncrBy(ctx context.Context, key string, delta int64) (int64, error) {
	req := command("INCRBY", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, delta)
	return intReply(c.do(ctx, req))
}

func (c *Client) intCommand(ctx context.Context, name, key string) (int64, error) {
	req := command(name, 1)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	return intReply(c.do(ctx, req))
}

func intReply(v Value, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return v.Int64()
}
