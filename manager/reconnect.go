package manager

import (
	"errors"
	"math/rand/v2"
	"time"
)

// reconnect replaces a dead session: one attempt at a time, the first at
// once, then with capped exponential backoff and jitter. No request waits
// for it: the dial runs on a goroutine of its own while this one keeps
// failing queued requests at once with a *ConnError whose Sent is false
// (nothing queued here was written), which the pool sends to another
// manager. The pool sends no new requests to a manager that is down. It
// returns nil when shutdown begins first. lost is what ended the session.
func (m *Manager) reconnect(lost error) *session {
	m.current.Store(nil)
	out := outage{cause: lost, since: time.Now()}
	cause, backoff := lost, m.backoff // 0 unless the session that died never answered anything
	wait := jitter(backoff)
	for {
		last := cause
		m.lastErr.Store(&last)
		if !m.waitDown(cause, wait) {
			return nil
		}
		out.attempts++
		redials := m.redials.Load()
		r, live := m.dial(cause)
		if !live {
			return nil
		}
		if r.err == nil && m.redials.Load() != redials {
			// Reconnect was called during the dial, which may have reached
			// the server being left: dial again, at once.
			_ = r.s.nc.Close()
			cause, backoff, wait = &ConnError{Op: "connect", Addr: m.cfg.Addr, Err: errRedialed}, 0, 0
			continue
		}
		if r.err == nil {
			m.resume(r.s, backoff, out)
			return r.s
		}
		cause = r.err
		backoff = nextBackoff(backoff, m.cfg.BackoffMin, m.cfg.BackoffMax)
		wait = jitter(backoff)
		m.logAttemptFailed(out.attempts, cause, wait)
	}
}

// outage is what a reconnect reports once it is over: what ended the
// connection, when, and how many dials it took to replace it.
type outage struct {
	cause    error
	since    time.Time
	attempts int
}

// resume makes s, the connection that ends out, the current one. The
// reconnect is logged before it is counted: whoever sees the count sees
// the record too.
func (m *Manager) resume(s *session, backoff time.Duration, out outage) {
	m.logReconnected(s, out)
	m.stats.reconnects.Add(1)
	// A server that accepts and drops at once (maxclients, a proxy with
	// no backend) must not get a reconnect storm: the backoff restarts
	// only once a session has answered.
	m.backoff = nextBackoff(backoff, m.cfg.BackoffMin, m.cfg.BackoffMax)
	m.start(s)
	if m.cfg.OnReconnect != nil {
		m.cfg.OnReconnect()
	}
}

// dialResult is what a reconnect dial produced.
type dialResult struct {
	s   *session
	err error
}

// dial connects on a goroutine of its own and, meanwhile, fails queued
// requests with cause. live is false when shutdown began first: the dial,
// cut short by the manager's life ending, has then finished too, and what
// was queued failed with ErrClosed.
func (m *Manager) dial(cause error) (r dialResult, live bool) {
	result := make(chan dialResult, 1)
	go func() {
		s, err := connect(m.life, m.cfg, &m.stats.bytesIn)
		result <- dialResult{s, err}
	}()
	for {
		select {
		case req := <-m.queue:
			m.settle(req, downError(m.cfg.Addr, cause, req))
		case r = <-result:
			if m.closing.Load() {
				m.discard(r)
				return dialResult{}, false
			}
			return r, true
		case <-m.shutdown:
			m.discard(<-result) // m.life has ended: the dial ends soon
			return dialResult{}, false
		}
	}
}

// discard closes what a dial cut short by shutdown produced and fails what
// is queued with ErrClosed.
func (m *Manager) discard(r dialResult) {
	if r.s != nil {
		_ = r.s.nc.Close()
	}
	m.failRemaining(ErrClosed)
}

// errRedialed is the cause of a connection dropped right after its dial
// because Reconnect was called while it was being made.
var errRedialed = errors.New("reconnecting: the connection was made before a reconnect was asked for")

// waitDown waits d (the backoff with its jitter drawn), failing queued
// requests with cause meanwhile. It returns false if shutdown began, after
// failing what was left with ErrClosed.
func (m *Manager) waitDown(cause error, d time.Duration) bool {
	timer := time.NewTimer(d)
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
		case <-m.redialNow: // Reconnect: dial at once
			return true
		}
	}
}

// downError is what a request gets while its manager has no connection: a
// *ConnError saying it was not sent.
func downError(addr string, cause error, req *Request) error {
	if ce, ok := cause.(*ConnError); ok {
		return ce.forCommand(req.Cmd, false)
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
