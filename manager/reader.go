package manager

import (
	"github.com/redmux/redmux/resp"
)

// readLoop is the reader goroutine of one session. It parses one whole
// reply at a time and completes the request at the front of the FIFO
// without blocking (invariants 1 and 4). Push frames go to OnPush and never
// complete a request (invariant 7). Any read or protocol error, and any
// reply nobody asked for, kills the session (invariant 8); so does an error
// reply Config.RedialOn objects to, once its request is answered.
func (m *Manager) readLoop(s *session) {
	defer close(s.readerDone)
	var cur *Request // the entry being answered; a pipeline may take several replies
	var redial error // Config.RedialOn's cause, acted on once cur is answered
	for {
		v, err := s.rd.ReadValue()
		if err != nil {
			s.kill(&ConnError{Op: "read", Addr: s.addr, Err: err})
			break
		}
		if v.Type() == resp.TypePush {
			m.deliverPush(v)
			continue
		}
		if cur == nil {
			if cur = m.popFront(s); cur == nil {
				s.kill(&ConnError{Op: "read", Addr: s.addr, Err: errUnexpectedReply})
				break
			}
		}
		cur.addReply(v)
		if redial == nil {
			redial = m.redialCause(v)
		}
		if len(cur.replies) < cur.Replies {
			continue
		}
		s.pendingBytes.Add(-int64(len(cur.Cmd))) // before answer: cur may be recycled after
		m.answer(cur)
		cur = nil
		s.unanswered.Add(-1)
		s.freedSlot()
		s.checkDrained()
		if redial != nil {
			m.leave(s, redial)
			break
		}
	}
	if cur != nil {
		// A pipeline cut short: it leaves by teardown, like the rest.
		m.settle(cur, s.failure(cur, true)) // its replies had begun
	}
}

// popFront takes the oldest in-flight entry, or nil if there is none.
func (m *Manager) popFront(s *session) *Request {
	select {
	case req := <-s.inflight:
		return req
	default:
		return nil
	}
}

// answer completes req, whose replies are in; the caller may have left, in
// which case the replies are dropped and the request recycled (invariant 2).
func (m *Manager) answer(req *Request) {
	m.healthy.Store(true)
	m.load.Add(-1)
	m.stats.completed.Add(1)
	req.complete(nil)
}

func (m *Manager) deliverPush(v resp.Value) {
	m.stats.pushes.Add(1)
	if m.cfg.OnPush != nil {
		m.cfg.OnPush(v)
	}
}

// redialCause asks Config.RedialOn about an error reply.
func (m *Manager) redialCause(v resp.Value) error {
	if m.cfg.RedialOn == nil {
		return nil
	}
	if t := v.Type(); t != resp.TypeSimpleError && t != resp.TypeBulkError {
		return nil
	}
	return m.cfg.RedialOn(v)
}

// leave ends s because a reply said it reaches the wrong server. The
// session does not count as healthy, so that a server answering so at
// every connect is redialed with backoff, not in a loop.
func (m *Manager) leave(s *session, cause error) {
	m.healthy.Store(false)
	s.kill(&ConnError{Op: "read", Addr: s.addr, Err: cause})
}
