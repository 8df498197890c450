package manager

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/redmux/redmux/resp"
)

// Config configures one manager. Every field must be set (the root
// package resolves defaults); New refuses an unresolved Config.
type Config struct {
	// Addr is the server's address, used for dialing and in errors.
	Addr string
	// AddrFromConn makes the errors of a connection, once dialed, name
	// the address it reached (its RemoteAddr) instead of Addr: for an
	// Addr that names no single server, such as the master a Dial asks
	// the sentinels for.
	AddrFromConn bool
	// Network is "tcp" or "unix".
	Network string
	// Dial opens a connection to addr on network ("tcp" or "unix"),
	// honouring ctx: (*net.Dialer).DialContext and (*tls.Dialer).DialContext
	// fit.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds the dial.
	DialTimeout time.Duration
	// Handshake runs on every new connection before it serves requests
	// (AUTH, SELECT, CLIENT SETNAME, PING, ...); an error fails the
	// connect. Bytes received beyond its replies fail it too. nil means
	// no handshake.
	Handshake Handshake
	// QueueLen bounds requests waiting to be written: once it is full, a
	// caller waits for room, no longer than its context.
	QueueLen int
	// MaxInFlight bounds requests written but not yet answered.
	MaxInFlight int
	// MaxBatchBytes is the write size at which the writer stops gathering
	// more queued requests into the current batch and writes it.
	MaxBatchBytes int
	// Limits bound what the reply reader accepts: a reply beyond them
	// fails the connection instead of exhausting memory.
	Limits resp.Limits
	// BackoffMin and BackoffMax bound the wait between reconnect attempts:
	// the first attempt is immediate, then the wait doubles from BackoffMin
	// up to BackoffMax, each wait drawn at random from its upper half.
	BackoffMin, BackoffMax time.Duration
	// OnPush, if set, receives RESP3 push frames, which never answer a
	// request. It runs on whichever goroutine reads replies: the reader
	// goroutine, or a caller reading its own (CallerReads). It must not
	// block or panic.
	OnPush func(resp.Value)
	// RedialOn, if set, is shown every error reply the reader receives on
	// a manager's connection. A non-nil result ends that connection once
	// the request the reply belongs to is answered, as if it had failed
	// with that cause, and the manager reconnects: for replies saying the
	// connection reaches the wrong server, such as a demoted master's
	// -READONLY. Such a reply must mean that the command was refused, not
	// run: the pool sends a single command so answered once more. It runs
	// as OnPush does and must not block. Dedicated connections
	// (Dial) do not use it.
	RedialOn func(resp.Value) error
	// OnReconnect, if set, is called after the manager has replaced a lost
	// connection with a new one. It runs on the writer goroutine and must
	// not block.
	OnReconnect func()
	// StallTimeout and PingTimeout drive stall detection: when the oldest unanswered request has waited longer than
	// StallTimeout, a PING is sent; if it gets no reply within PingTimeout
	// the connection is declared dead. A StallTimeout of 0 turns stall
	// detection off.
	StallTimeout, PingTimeout time.Duration
	// CallerReads lets a caller alone on the manager read its own reply on
	// its own goroutine instead of waiting for the reader goroutine to hand
	// it over (readrole.go). It pays with more than one P (GOMAXPROCS): the
	// root package sets it then.
	CallerReads bool
	// readerIdle overrides readerIdleCheck, for tests.
	readerIdle time.Duration
	// HandshakeTimeout bounds the handshake after the dial.
	HandshakeTimeout time.Duration
	// Logger, if set, receives the manager's events (see log.go): the
	// first connection, a connection lost, each failed reconnect attempt,
	// the reconnect, a stall, and a handshake refused (on a dedicated
	// connection, from Dial, too). It is called from the manager's
	// goroutines. nil logs nothing and costs nothing.
	Logger *slog.Logger
}

// check reports the first field a caller left unresolved: the manager
// applies no defaults, the root package resolves every field first.
func (c Config) check() error {
	switch {
	case c.Addr == "":
		return errors.New("manager: Config.Addr is empty")
	case c.Network == "":
		return errors.New("manager: Config.Network is empty")
	case c.Dial == nil:
		return errors.New("manager: Config.Dial is nil")
	case c.DialTimeout <= 0, c.HandshakeTimeout <= 0:
		return errors.New("manager: Config.DialTimeout and HandshakeTimeout must be positive")
	case c.QueueLen <= 0, c.MaxInFlight <= 0, c.MaxBatchBytes <= 0:
		return errors.New("manager: Config.QueueLen, MaxInFlight and MaxBatchBytes must be positive")
	case c.BackoffMin <= 0, c.BackoffMax < c.BackoffMin:
		return errors.New("manager: Config.BackoffMin must be positive and BackoffMax at least BackoffMin")
	case c.StallTimeout > 0 && c.PingTimeout <= 0:
		return errors.New("manager: Config.PingTimeout must be positive when stall detection is on")
	case c.Limits != c.Limits.Resolved():
		return errors.New("manager: Config.Limits is not resolved")
	}
	return nil
}
