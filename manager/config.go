package manager

import (
	"context"
	"net"
	"time"

	"github.com/redmux/redmux/resp"
)

// Defaults for the zero values of Config.
const (
	DefaultQueueLen      = 1024
	DefaultMaxInFlight   = 4096
	DefaultMaxBatchBytes = 64 << 10
	DefaultDialTimeout   = 5 * time.Second
	DefaultBackoffMin    = 25 * time.Millisecond
	DefaultBackoffMax    = 2 * time.Second
	// A command that takes Redis seconds is rare (KEYS on a large
	// database, a slow script); a dead peer is not. Blocking commands run
	// on dedicated connections and never trip this.
	DefaultStallTimeout     = 3 * time.Second
	DefaultPingTimeout      = time.Second
	DefaultHandshakeTimeout = 5 * time.Second
)

// Dialer opens a connection to addr on network ("tcp" or "unix"). It must
// honour ctx. (*net.Dialer).DialContext and (*tls.Dialer).DialContext fit.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Config configures one manager. Zero values mean the defaults above.
type Config struct {
	// Addr is the server's address, used for dialing and in errors.
	Addr string
	// Network is "tcp" (the default) or "unix".
	Network string
	// Dial opens the connection; nil means a TCP dial with keep-alive.
	Dial Dialer
	// DialTimeout bounds the dial.
	DialTimeout time.Duration
	// Handshake runs on every new connection before it serves requests
	// (AUTH, SELECT, CLIENT SETNAME, PING, ...); an error fails the
	// connect. Bytes received beyond its replies fail it too. nil means
	// no handshake.
	Handshake Handshake
	// QueueLen bounds requests waiting to be written (invariant 10).
	QueueLen int
	// MaxInFlight bounds requests written but not yet answered.
	MaxInFlight int
	// MaxBatchBytes is the write size at which the writer stops gathering
	// more queued requests into the current batch and writes it.
	MaxBatchBytes int
	// Limits bound what the reply reader accepts (invariant 12).
	Limits resp.Limits
	// BackoffMin and BackoffMax bound the wait between reconnect attempts:
	// the first attempt is immediate, then the wait doubles from BackoffMin
	// up to BackoffMax, each wait drawn at random from its upper half.
	BackoffMin, BackoffMax time.Duration
	// OnPush, if set, receives RESP3 push frames (invariant 7). It runs on
	// the reader goroutine and must not block.
	OnPush func(resp.Value)
	// OnReconnect, if set, is called after the manager has replaced a lost
	// connection with a new one. It runs on the writer goroutine and must
	// not block.
	OnReconnect func()
	// StallTimeout and PingTimeout drive stall detection (invariant 9):
	// when the oldest unanswered request has waited longer than
	// StallTimeout, a PING is sent; if it gets no reply within PingTimeout
	// the connection is declared dead. A negative StallTimeout turns
	// stall detection off.
	StallTimeout, PingTimeout time.Duration
	// HandshakeTimeout bounds the handshake after the dial.
	HandshakeTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Dial == nil {
		c.Dial = dialKeepAlive
	}
	if c.Network == "" {
		c.Network = "tcp"
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.QueueLen <= 0 {
		c.QueueLen = DefaultQueueLen
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultBackoffMin
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(DefaultBackoffMax, c.BackoffMin)
	}
	return c
}

func dialKeepAlive(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: 15 * time.Second}
	return d.DialContext(ctx, network, addr)
}
