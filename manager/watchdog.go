package manager

import (
	"context"
	"errors"
	"time"

	"github.com/redmux/redmux/resp"
)

// ErrStalled is the cause in the *ConnError of requests failed because
// their connection stalled: requests were in flight, nothing arrived for
// the stall timeout, and a PING sent then got no reply either.
var ErrStalled = errors.New("connection stalled: the oldest request got no reply within the stall timeout, nor did a PING after it")

var pingCommand = resp.AppendCommandStrings(nil, "PING")

// watch is the stall detector (invariant 9), one goroutine for the
// manager's life. Every quarter of StallTimeout it checks whether the
// connection has requests in flight but has received nothing since the
// last look, not a reply and not a byte; once that has lasted StallTimeout
// it sends a PING, and if the PING gets no reply within PingTimeout and no
// byte arrived meanwhile, the connection is declared dead, so its requests
// fail and the manager reconnects. A long reply still arriving, however
// slowly, is progress. The hot path pays nothing: the check reads counters
// the reader keeps anyway. A caller's own timeout plays no part, so one
// slow caller never kills a connection.
func (m *Manager) watch() {
	defer close(m.watchDone)
	if m.cfg.StallTimeout <= 0 {
		<-m.shutdown
		return
	}
	tick := time.NewTicker(max(m.cfg.StallTimeout/4, time.Millisecond))
	defer tick.Stop()
	var last progress
	var quietSince time.Time
	for {
		select {
		case <-m.shutdown:
			return
		case now := <-tick.C:
			s := m.current.Load()
			cur := m.progress(s)
			if s == nil || s.unanswered.Load() == 0 || cur != last {
				// A new session starts its own clock: its requests have
				// not waited for the old one's.
				last, quietSince = cur, time.Time{}
				continue
			}
			if quietSince.IsZero() {
				quietSince = now
			} else if now.Sub(quietSince) >= m.cfg.StallTimeout {
				m.probe(s, quietSince)
				last, quietSince = m.progress(s), time.Time{}
			}
		}
	}
}

// progress is what the stall detector compares between two looks.
type progress struct {
	session   *session
	bytesIn   uint64
	completed uint64
}

func (m *Manager) progress(s *session) progress {
	return progress{session: s, bytesIn: m.stats.bytesIn.Load(), completed: m.stats.completed.Load()}
}

// probe sends a PING through the manager and kills s if it does not come
// back within PingTimeout and nothing at all was received meanwhile: the
// PING may wait behind a long reply that is still arriving. quietSince is
// when the detector first found s making no progress.
func (m *Manager) probe(s *session, quietSince time.Time) {
	before := m.stats.bytesIn.Load()
	ctx, cancel := context.WithTimeout(m.life, m.cfg.PingTimeout)
	defer cancel()
	req := NewRequest()
	req.Cmd = append(req.Cmd, pingCommand...)
	_, err := m.do(ctx, req)
	if errors.Is(err, context.DeadlineExceeded) && m.stats.bytesIn.Load() == before && !s.killed() {
		m.logStalled(s, time.Since(quietSince)) // before the count and the kill: whoever sees them sees it
		m.stats.stalls.Add(1)
		s.kill(&ConnError{Op: "read", Addr: s.addr, Err: ErrStalled})
	}
}
