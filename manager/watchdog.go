package manager

import (
	"context"
	"errors"
	"time"

	"github.com/redmux/redmux/resp"
)

// ErrStalled is the cause in the *ConnError of requests failed because
// their connection stalled (invariant 9).
var ErrStalled = errors.New("connection stalled: the oldest request got no reply within the stall timeout, nor did a PING after it")

var pingCommand = resp.AppendCommandStrings(nil, "PING")

// watch is the stall detector (invariant 9), one goroutine for the
// manager's life. Every quarter of StallTimeout it checks whether the
// connection has requests in flight but answered none since the last look;
// once that has lasted StallTimeout it sends a PING, and if the PING gets
// no reply within PingTimeout the connection is declared dead, so its
// requests fail and the manager reconnects. The hot path pays nothing: the
// check reads counters the reader keeps anyway. A caller's own timeout
// plays no part, so one slow caller never kills a connection.
func (m *Manager) watch() {
	defer close(m.watchDone)
	if m.cfg.StallTimeout < 0 {
		<-m.shutdown
		return
	}
	tick := time.NewTicker(max(m.cfg.StallTimeout/4, time.Millisecond))
	defer tick.Stop()
	var lastCompleted uint64
	var lastSession *session
	var stuckSince time.Time
	for {
		select {
		case <-m.shutdown:
			return
		case now := <-tick.C:
			s := m.current.Load()
			completed := m.stats.completed.Load()
			if s == nil || s != lastSession || s.unanswered.Load() == 0 || completed != lastCompleted {
				// A new session starts its own clock: its requests have
				// not waited for the old one's.
				lastCompleted, lastSession, stuckSince = completed, s, time.Time{}
				continue
			}
			if stuckSince.IsZero() {
				stuckSince = now
			} else if now.Sub(stuckSince) >= m.cfg.StallTimeout {
				m.probe(s)
				stuckSince = time.Time{}
			}
		}
	}
}

// probe sends a PING through the manager and kills s if it does not come
// back within PingTimeout.
func (m *Manager) probe(s *session) {
	ctx, cancel := context.WithTimeout(m.life, m.cfg.PingTimeout)
	defer cancel()
	req := NewRequest()
	req.Cmd = append(req.Cmd, pingCommand...)
	_, err := m.Do(ctx, req)
	if errors.Is(err, context.DeadlineExceeded) && !s.killed() {
		m.stats.stalls.Add(1)
		s.kill(&ConnError{Op: "read", Addr: s.addr, Err: ErrStalled})
	}
}
