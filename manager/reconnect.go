package manager

import (
	"math/rand/v2"
	"time"
)

// reconnect replaces a dead session: one attempt at a time, the first at
// once, then with capped exponential backoff and jitter. Between attempts,
// queued requests fail at once with the latest connection error (writes are
// never replayed; nothing queued here was written); during an attempt they
// wait for its outcome, at most DialTimeout + HandshakeTimeout or their
// context. The pool sends no new requests to a manager that is down. It
// returns nil when shutdown begins first.
func (m *Manager) reconnect(cause error) *session {
	m.current.Store(nil)
	backoff := m.backoff // 0 unless the session that died never answered anything
	for {
		last := cause
		m.lastErr.Store(&last)
		if !m.waitDown(cause, backoff) {
			return nil
		}
		s, err := connect(m.life, m.cfg, &m.stats.bytesIn)
		if err == nil {
			m.stats.reconnects.Add(1)
			// A server that accepts and drops at once (maxclients, a
			// proxy with no backend) must not get a reconnect storm: the
			// backoff restarts only once a session has answered.
			m.backoff = nextBackoff(backoff, m.cfg.BackoffMin, m.cfg.BackoffMax)
			m.start(s)
			if m.cfg.OnReconnect != nil {
				m.cfg.OnReconnect()
			}
			return s
		}
		cause = err
		backoff = nextBackoff(backoff, m.cfg.BackoffMin, m.cfg.BackoffMax)
	}
}

// waitDown waits d, failing queued requests with cause meanwhile. It
// returns false if shutdown began, after failing what was left with
// ErrClosed.
func (m *Manager) waitDown(cause error, d time.Duration) bool {
	timer := time.NewTimer(jitter(d))
	defer timer.Stop()
	for {
		select {
		case req := <-m.queue:
			m.settle(req, downError(m.cfg.Addr, cause, req))
		case <-m.shutdown:
			m.failRemaining(ErrClosed)
			return false
		case <-timer.C:
			return true
		}
	}
}

// downError is what a request gets while its manager has no connection.
func downError(addr string, cause error, req *Request) error {
	if ce, ok := cause.(*ConnError); ok {
		return ce.forCommand(req.Cmd)
	}
	return &ConnError{Op: "connect", Addr: addr, Cmd: commandName(req.Cmd), Err: cause}
}

func nextBackoff(d, lo, hi time.Duration) time.Duration {
	if d == 0 {
		return lo
	}
	return min(2*d, hi)
}

// jitter draws a wait from the upper half of d.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
