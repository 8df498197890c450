package manager

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/resp"
)

// Handshake runs on every new connection (the first, each reconnect, each
// dedicated connection) before it serves anything. It talks to the server
// through hc and returns an error to refuse the connection. It runs on the
// goroutine that dials, bounded by HandshakeTimeout.
type Handshake func(ctx context.Context, hc *HandshakeConn) error

// HandshakeConn is the connection as a Handshake sees it: whole commands
// out, whole replies back, nothing else.
type HandshakeConn struct {
	s *session
}

// Exchange writes the encoded commands in one write and reads one reply
// for each, in order. Error replies are returned as values (use
// Value.Err); reading stops at the first one, which is then the last value
// returned: a server that refuses a step may not answer the next ones.
func (hc *HandshakeConn) Exchange(cmds ...[]byte) ([]resp.Value, error) {
	return hc.exchange(cmds, true)
}

// handshakeCommands returns a Handshake that sends cmds and fails on the
// first error reply, naming its command.
func handshakeCommands(cmds ...[]byte) Handshake {
	return func(ctx context.Context, hc *HandshakeConn) error {
		if len(cmds) == 0 {
			return nil
		}
		replies, err := hc.Exchange(cmds...)
		if err != nil {
			return err
		}
		for i, v := range replies {
			if err := v.Err(); err != nil {
				return fmt.Errorf("%s: %w", commandName(cmds[i]), err)
			}
		}
		return nil
	}
}

// errTrailingBytes is the cause of a handshake that failed because the
// server sent more than the replies it was asked for: something other than
// a Redis server speaks on that port, or it greets with a banner.
var errTrailingBytes = errors.New("the server sent data nobody asked for during the handshake")

// ErrNotRESP wraps the *resp.ProtocolError of a handshake whose replies were
// not RESP at all.
var ErrNotRESP = errors.New("the server does not speak the Redis protocol (RESP): is it a Redis server?")

// connect dials, bounded by DialTimeout, and runs the handshake, bounded by
// HandshakeTimeout. Both also end with ctx. bytesIn counts what the new
// session reads.
func connect(ctx context.Context, cfg Config, bytesIn *atomic.Uint64) (*session, error) {
	dialCtx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	nc, err := cfg.Dial(dialCtx, cfg.Network, cfg.Addr)
	cancel()
	if err != nil {
		return nil, &ConnError{Op: "dial", Addr: cfg.Addr, Err: err}
	}
	addr := cfg.Addr
	if cfg.AddrFromConn {
		addr = nc.RemoteAddr().String()
	}
	s := newSession(addr, nc, cfg, bytesIn)
	hsCtx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	if err := handshake(hsCtx, s, cfg.Handshake); err != nil {
		_ = nc.Close()
		err = &ConnError{Op: "handshake", Addr: addr, Err: explainHandshake(err)}
		if ctx.Err() == nil { // not cut short by the caller or by shutdown
			logHandshakeFailed(cfg.Logger, addr, err)
		}
		return nil, err
	}
	return s, nil
}

// handshake runs hs on s, with s's I/O bounded by ctx, and then checks that
// nothing beyond the replies was received.
func handshake(ctx context.Context, s *session, hs Handshake) error {
	if hs == nil {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = s.nc.SetDeadline(deadline)
		defer func() { _ = s.nc.SetDeadline(time.Time{}) }()
	}
	stop := context.AfterFunc(ctx, func() { _ = s.nc.SetDeadline(time.Unix(1, 0)) })
	err := hs(ctx, &HandshakeConn{s: s})
	if !stop() {
		return ctx.Err() // the connection is closed by connect
	}
	if err == nil && s.rd.Buffered() > 0 {
		err = fmt.Errorf("%w (%d bytes)", errTrailingBytes, s.rd.Buffered())
	}
	return err
}

// explainHandshake adds what a user needs to know to a reply that was not
// RESP.
func explainHandshake(err error) error {
	var pe *resp.ProtocolError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: %w", ErrNotRESP, err)
	}
	return err
}

// ExchangeAll is Exchange reading one reply for every command even past
// error replies, for steps a server may refuse without consequence (such as
// CLIENT SETINFO on a server that predates it). A Redis server answers
// every command of a pipeline; a peer that answers fewer makes it wait for
// the handshake's deadline, and one that answers garbage fails it at once.
func (hc *HandshakeConn) ExchangeAll(cmds ...[]byte) ([]resp.Value, error) {
	return hc.exchange(cmds, false)
}

func (hc *HandshakeConn) exchange(cmds [][]byte, stopAtError bool) ([]resp.Value, error) {
	var buf []byte
	for _, c := range cmds {
		buf = append(buf, c...)
	}
	if _, err := hc.s.nc.Write(buf); err != nil {
		return nil, err
	}
	replies := make([]resp.Value, 0, len(cmds))
	for range cmds {
		v, err := hc.s.rd.ReadValue()
		if err != nil {
			return nil, err
		}
		replies = append(replies, v)
		if stopAtError && v.Err() != nil {
			break
		}
	}
	return replies, nil
}
