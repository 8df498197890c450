package redmux

import (
	"context"

	"github.com/redmux/redmux/resp"
)

// Bitmap commands, on string values. Bit offsets and byte ranges are
// int64; a bit is an int, 0 or 1; counts are int64.

// SetBit sets the bit at offset of the string at key to value (0 or 1),
// growing the string as needed, and returns the bit's previous value.
func (c *commands) SetBit(ctx context.Context, key string, offset int64, value int) (int, error) {
	return run(ctx, c.r, setBitCmd(key, offset, value))
}

// SetBit queues SETBIT; see Client.SetBit.
func (b *Batch) SetBit(key string, offset int64, value int) *Reply[int] {
	return add(b, setBitCmd(key, offset, value))
}

func setBitCmd(key string, offset int64, value int) cmd[int] {
	req := command("SETBIT", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, offset)
	req.Cmd = resp.AppendBulkInt(req.Cmd, int64(value))
	return cmd[int]{req, decodeBit}
}

// GetBit returns the bit at offset of the string at key: 0 beyond its end
// or for a missing key.
func (c *commands) GetBit(ctx context.Context, key string, offset int64) (int, error) {
	return run(ctx, c.r, getBitCmd(key, offset))
}

// GetBit queues GETBIT; see Client.GetBit.
func (b *Batch) GetBit(key string, offset int64) *Reply[int] { return add(b, getBitCmd(key, offset)) }

func getBitCmd(key string, offset int64) cmd[int] {
	req := command("GETBIT", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, offset)
	return cmd[int]{req, decodeBit}
}

func decodeBit(v Value) (int, error) {
	n, err := v.Int64()
	return int(n), err
}

// BitCount returns the number of bits set in the string at key (0 for a
// missing key).
func (c *commands) BitCount(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("BITCOUNT", key))
}

// BitCount queues BITCOUNT; see Client.BitCount.
func (b *Batch) BitCount(key string) *Reply[int64] { return add(b, keyIntCmd("BITCOUNT", key)) }

// BitCountRange is BitCount over the bytes start to end inclusive;
// negative positions count from the end (-1 is the last byte).
func (c *commands) BitCountRange(ctx context.Context, key string, start, end int64) (int64, error) {
	return run(ctx, c.r, bitCountRangeCmd(key, start, end))
}

// BitCountRange queues BITCOUNT with a range; see Client.BitCountRange.
func (b *Batch) BitCountRange(key string, start, end int64) *Reply[int64] {
	return add(b, bitCountRangeCmd(key, start, end))
}

func bitCountRangeCmd(key string, start, end int64) cmd[int64] {
	req := command("BITCOUNT", 3)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkInt(req.Cmd, start)
	req.Cmd = resp.AppendBulkInt(req.Cmd, end)
	return cmd[int64]{req, decodeInt}
}
