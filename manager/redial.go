package manager

// Redialing on request: a server that is no longer the right one (a
// failover moved the master elsewhere) is left as if its connection had
// failed, so that the ordinary failure path runs and the reconnect dials
// whatever Config.Dial reaches now.

// Reconnect ends the current connection as if it had failed with cause, and
// makes the reconnect dial at once: it cuts short a backoff wait in
// progress, and a dial already under way when Reconnect is called is
// thrown away on success and made again, since it may have reached the
// server being left. Requests meet the ordinary failure path: those in
// flight fail with a *ConnError wrapping cause (Sent true: they may have
// run), which the pool retries once for reads and reroutes when never
// sent. It does nothing once shutdown has begun. Safe for concurrent use;
// it never blocks.
func (m *Manager) Reconnect(cause error) {
	if m.closing.Load() {
		return
	}
	m.redials.Add(1)
	// The session is killed before the wake-up is sent: a redial woken
	// first could finish and make its session current before the kill,
	// which would then end the new session instead of the old one (and,
	// since the new one had answered nothing, wait a full backoff).
	if s := m.current.Load(); s != nil {
		s.kill(&ConnError{Op: "read", Addr: s.addr, Err: cause})
	}
	select {
	case m.redialNow <- struct{}{}:
	default: // a wake-up is already pending
	}
}
