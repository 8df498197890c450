package manager

import (
	"context"
	"log/slog"
	"time"
)

// The manager's log records (Config.Logger). Each event has a function
// here taking typed values, which returns at once when there is no
// logger: with logging off, a site costs a nil check and no allocation.
// None of these runs on the path of a request. Messages begin "redmux: ";
// attribute keys are stable:
//
//	addr      the server's address (the one reached, with AddrFromConn)
//	cause     the error: what ended a connection, or failed an attempt
//	attempt   the number of a reconnect attempt, from 1
//	attempts  how many attempts a reconnect took
//	backoff   the wait before the next attempt
//	downtime  from the loss of a connection to its replacement
//	quiet     how long a stalled connection had requests in flight and received nothing
//	in_flight requests written and unanswered
//	stall_timeout, ping_timeout  Config.StallTimeout and Config.PingTimeout

// Messages of the manager's records.
const (
	msgConnected       = "redmux: connected"
	msgLost            = "redmux: connection lost"
	msgAttemptFailed   = "redmux: reconnect attempt failed"
	msgReconnected     = "redmux: reconnected"
	msgStalled         = "redmux: stall detected"
	msgHandshakeFailed = "redmux: handshake failed"
)

// logConnected records a manager's first connection.
func (m *Manager) logConnected(s *session) {
	if l := m.cfg.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelInfo, msgConnected, slog.String("addr", s.addr))
	}
}

// logLost records the death of s, which the manager is about to replace.
func (m *Manager) logLost(s *session) {
	if l := m.cfg.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, msgLost,
			slog.String("addr", s.addr), slog.Any("cause", s.cause))
	}
}

// logAttemptFailed records a failed reconnect attempt and the wait before
// the next one.
func (m *Manager) logAttemptFailed(attempt int, cause error, backoff time.Duration) {
	if l := m.cfg.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, msgAttemptFailed,
			slog.String("addr", m.cfg.Addr), slog.Int("attempt", attempt),
			slog.Any("cause", cause), slog.Duration("backoff", backoff))
	}
}

// logReconnected records the end of an outage: s replaces the connection
// that out.cause ended.
func (m *Manager) logReconnected(s *session, out outage) {
	if l := m.cfg.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelInfo, msgReconnected,
			slog.String("addr", s.addr), slog.Any("cause", out.cause),
			slog.Int("attempts", out.attempts), slog.Duration("downtime", time.Since(out.since)))
	}
}

// logStalled records a connection the stall detector declares dead.
func (m *Manager) logStalled(s *session, quiet time.Duration) {
	if l := m.cfg.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, msgStalled,
			slog.String("addr", s.addr), slog.Duration("quiet", quiet),
			slog.Int64("in_flight", s.unanswered.Load()),
			slog.Duration("stall_timeout", m.cfg.StallTimeout), slog.Duration("ping_timeout", m.cfg.PingTimeout))
	}
}

// logHandshakeFailed records a connection refused by its handshake. err
// names the failed step, never its arguments (the root package's
// handshake sees to it), so the password stays out.
func logHandshakeFailed(l *slog.Logger, addr string, err error) {
	if l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, msgHandshakeFailed,
			slog.String("addr", addr), slog.Any("cause", err))
	}
}
