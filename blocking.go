package redmux

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/redmux/redmux/manager"
)

// blockingTimeout returns how long a blocking command asks the server to
// wait, from its own timeout argument: seconds for BLPOP and its kin,
// milliseconds for WAIT, WAITAOF and XREAD/XREADGROUP BLOCK. forever is
// true for a timeout of 0 (no limit); ok is false when the argument is
// missing or not a number (the server will reject the command). name is
// upper case; args are the arguments after it.
func blockingTimeout(name string, args []any) (d time.Duration, forever, ok bool) {
	var arg any
	unit := time.Second
	switch name {
	case "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX":
		arg, ok = argAt(args, len(args)-1)
	case "BLMPOP", "BZMPOP":
		arg, ok = argAt(args, 0)
	case "WAIT":
		arg, ok = argAt(args, 1)
		unit = time.Millisecond
	case "WAITAOF":
		arg, ok = argAt(args, 2)
		unit = time.Millisecond
	case "XREAD", "XREADGROUP":
		arg, ok = argAfter(args, "BLOCK")
		unit = time.Millisecond
	}
	if !ok {
		return 0, false, false
	}
	n, ok := argNumber(arg)
	if !ok || n < 0 || n > float64(limitDuration/unit) {
		return 0, false, false
	}
	if n == 0 {
		return 0, true, true
	}
	return time.Duration(math.Ceil(n * float64(unit))), false, true
}

func argAt(args []any, i int) (any, bool) {
	if i < 0 || i >= len(args) {
		return nil, false
	}
	return args[i], true
}

// argAfter returns the argument following the first one equal to word.
func argAfter(args []any, word string) (any, bool) {
	for i := 0; i+1 < len(args); i++ {
		if isOneOf(args[i], word) {
			return args[i+1], true
		}
	}
	return nil, false
}

// argNumber reads a numeric argument as Do would encode it.
func argNumber(arg any) (float64, bool) {
	switch a := arg.(type) {
	case string:
		f, err := strconv.ParseFloat(a, 64)
		return f, err == nil
	case []byte:
		f, err := strconv.ParseFloat(string(a), 64)
		return f, err == nil
	case int:
		return float64(a), true
	case int64:
		return float64(a), true
	case int32:
		return float64(a), true
	case uint:
		return float64(a), true
	case uint64:
		return float64(a), true
	case uint32:
		return float64(a), true
	case float64:
		return a, true
	case float32:
		return float64(a), true
	}
	return 0, false
}

// blockingContext applies CommandTimeout to a blocking command: when ctx
// has no deadline, the command may take its own timeout plus
// CommandTimeout; a command that blocks without a limit, or whose timeout
// cannot be read, keeps ctx as it is or gets CommandTimeout alone.
func (c *Client) blockingContext(ctx context.Context, name string, args []any) (context.Context, context.CancelFunc) {
	return blockingContext(ctx, c.commandTimeout, name, args)
}

// blockingContext is Client.blockingContext for a given CommandTimeout,
// shared with the cluster client.
func blockingContext(ctx context.Context, commandTimeout time.Duration, name string, args []any) (context.Context, context.CancelFunc) {
	if commandTimeout <= 0 {
		return ctx, func() {}
	}
	if _, has := ctx.Deadline(); has {
		return ctx, func() {}
	}
	d, forever, ok := blockingTimeout(commandLabel(name), args)
	switch {
	case forever:
		return ctx, func() {}
	case ok:
		return context.WithTimeout(ctx, d+commandTimeout)
	}
	return context.WithTimeout(ctx, commandTimeout)
}

// blockingFor is blockingContext for a typed blocking command, which
// knows how long it asks the server to wait (0: no limit).
func (c *Client) blockingFor(ctx context.Context, wait time.Duration) (context.Context, context.CancelFunc) {
	if c.commandTimeout <= 0 || wait == 0 {
		return ctx, func() {}
	}
	if _, has := ctx.Deadline(); has {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, wait+c.commandTimeout)
}

// runBlocking runs a typed blocking command on a dedicated connection of
// its own, so it never stalls a shared pipeline.
func (c *Client) runBlocking(ctx context.Context, req *manager.Request, wait time.Duration) (Value, error) {
	ctx, cancel := c.blockingFor(ctx, wait)
	defer cancel()
	var v Value
	ran := false
	err := c.Dedicated(ctx, func(conn *DedicatedConn) error {
		ran = true
		var err error
		v, err = conn.run(ctx, req)
		return err
	})
	if !ran {
		req.Release()
	}
	return v, err
}
