package redmux

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/pool"
	"github.com/redmux/redmux/resp"
)

// Defaults for the zero values of Config. Config.resolved applies them, in
// this one place; the layers below take finished values.
const (
	DefaultShutdownTimeout  = 5 * time.Second
	DefaultDialTimeout      = 5 * time.Second
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultReconnectWait    = 5 * time.Second
	// A command that takes Redis seconds is rare (KEYS on a large
	// database, a slow script); a dead peer is not. Blocking commands run
	// on dedicated connections and never trip this.
	DefaultStallTimeout  = 3 * time.Second
	DefaultPingTimeout   = time.Second
	DefaultBackoffMin    = 25 * time.Millisecond
	DefaultBackoffMax    = 2 * time.Second
	DefaultQueueLen      = 1024
	DefaultMaxInFlight   = 4096
	DefaultMaxBatchBytes = 64 << 10
	DefaultMaxDedicated  = 16
	// DefaultSubscriptionBuffer is Config.SubscriptionBuffer's default.
	DefaultSubscriptionBuffer = 1024
	// DefaultMaxManagers is Config.MaxManagers' default when Managers is
	// 0 as well: up to 8 concurrent requests each get a connection of
	// their own (see Config.MaxManagers and BENCHMARKS.md).
	DefaultMaxManagers = 8
	// grownIdleTimeout closes a manager opened beyond Config.Managers
	// after one to two of it without a request.
	grownIdleTimeout = time.Minute
	// maxDefaultManagers caps DefaultManagers: one server thread cannot use
	// more connections than this profitably (see BENCHMARKS.md).
	maxDefaultManagers = 4
)

// DefaultManagers is the number of managers New dials when Config.Managers
// is zero: GOMAXPROCS, at least 2 and at most 4. Automatic pipelining makes
// a few connections enough to saturate a single-threaded server; more only
// shrink each connection's batches (see BENCHMARKS.md for the
// measurement). At low concurrency the client opens more, up to
// DefaultMaxManagers (see Config.MaxManagers).
func DefaultManagers() int {
	return min(max(runtime.GOMAXPROCS(0), 2), maxDefaultManagers)
}

// resolveManagers applies the defaults of Config.Managers and
// Config.MaxManagers (validate has checked that a MaxManagers set with
// Managers is not below it).
func resolveManagers(managers, maxManagers int) (int, int) {
	switch {
	case managers != 0 && maxManagers == 0:
		return managers, managers // set explicitly: exactly that many
	case managers == 0 && maxManagers == 0:
		return DefaultManagers(), DefaultMaxManagers
	case managers == 0:
		return min(DefaultManagers(), maxManagers), maxManagers
	}
	return managers, maxManagers
}

// resolved returns a copy of c, already validated, with every zero value
// replaced by its default. It is the only place defaults are applied.
func (c Config) resolved() Config {
	or := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	orInt := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	c.Managers, c.MaxManagers = resolveManagers(c.Managers, c.MaxManagers)
	c.DialTimeout = or(c.DialTimeout, DefaultDialTimeout)
	c.HandshakeTimeout = or(c.HandshakeTimeout, DefaultHandshakeTimeout)
	c.ReconnectWait = or(c.ReconnectWait, DefaultReconnectWait)
	c.StallTimeout = or(c.StallTimeout, DefaultStallTimeout)
	c.PingTimeout = or(c.PingTimeout, DefaultPingTimeout)
	c.BackoffMin = or(c.BackoffMin, DefaultBackoffMin)
	c.BackoffMax = max(or(c.BackoffMax, DefaultBackoffMax), c.BackoffMin)
	c.ShutdownTimeout = or(c.ShutdownTimeout, DefaultShutdownTimeout)
	c.QueueLen = orInt(c.QueueLen, DefaultQueueLen)
	c.MaxInFlight = orInt(c.MaxInFlight, DefaultMaxInFlight)
	c.MaxBatchBytes = orInt(c.MaxBatchBytes, DefaultMaxBatchBytes)
	c.MaxDedicated = orInt(c.MaxDedicated, DefaultMaxDedicated)
	c.SubscriptionBuffer = orInt(c.SubscriptionBuffer, DefaultSubscriptionBuffer)
	c.Limits = c.Limits.Resolved()
	if c.Network == "" {
		c.Network = "tcp"
	}
	if c.Dial == nil {
		c.Dial = dialKeepAlive
	}
	return c
}

// poolConfig turns c, resolved, into the pool's configuration. Each
// connection's handshake stores the protocol it negotiated in negotiated.
func (c Config) poolConfig(negotiated *atomic.Int32) pool.Config {
	stall := c.StallTimeout
	if c.DisableStallDetection {
		stall = 0 // below the root, 0 means off
	}
	return pool.Config{
		Managers:         c.Managers,
		MaxManagers:      c.MaxManagers,
		IdleTimeout:      grownIdleTimeout,
		ShutdownTimeout:  c.ShutdownTimeout,
		MaxDedicated:     c.MaxDedicated,
		ReconnectWait:    c.ReconnectWait,
		DisableReadRetry: c.DisableReadRetry,
		Manager: manager.Config{
			Addr:             c.Addr,
			AddrFromConn:     c.requireMaster, // NewFailover's Addr names no one server
			Network:          c.Network,
			Dial:             c.connDialer(),
			DialTimeout:      c.DialTimeout,
			HandshakeTimeout: c.HandshakeTimeout,
			Handshake:        c.handshake(negotiated),
			QueueLen:         c.QueueLen,
			MaxInFlight:      c.MaxInFlight,
			MaxBatchBytes:    c.MaxBatchBytes,
			Limits:           c.Limits,
			BackoffMin:       c.BackoffMin,
			BackoffMax:       c.BackoffMax,
			StallTimeout:     stall,
			PingTimeout:      c.PingTimeout,
			RedialOn:         c.redialOn(),
			OnPush:           c.OnPush,
			OnReconnect:      c.onReconnect,
			// One P: the reader goroutine's hand-off costs little, and
			// passing the role around more (BENCHMARKS.md).
			CallerReads: runtime.GOMAXPROCS(0) > 1,
			Logger:      c.Logger,
		},
	}
}

// Limits bound what the reply reader accepts: the longest string, the
// most elements in one aggregate, the deepest nesting. Zero fields mean
// the defaults (512 MiB, 2^25 elements, depth 32).
type Limits = resp.Limits
