package manager

import (
	"github.com/redmux/redmux/resp"
)

// readLoop is the reader goroutine of one session. It parses one whole
// reply at a time and completes the request at the front of the FIFO
// without blocking (invariants 1 and 4). Push frames go to OnPush and never
// complete a request (invariant 7). Any read or protocol error, and any
// reply nobody asked for, kills the session (invariant 8); so does an error
// reply Config.RedialOn objects to, as its request is answered.
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
		if redial != nil {
			// Before the answer: its caller, or the pool resending it,
			// must find this connection gone.
			s.kill(&ConnError{Op: "read", Addr: s.addr, Err: redial})
		}
		m.finishEntry(s, cur)
		cur = nil
		if redial != nil {
			// The answer marked the session healthy: a server answering
			// so at every connect must be redialed with backoff, not in
			// a loop.
			m.healthy.Store(false)
			break
		}
	}
	if cur != nil {
		// A pipeline cut short: it leaves by teardown, like the rest.
		m.settle(cur, s.failure(cur, true)) // its replies had begun
	}
}

// finishEntry completes cur, whose replies are all in, and does the
// bookkeeping of its leaving the FIFO.
func (m *Manager) finishEntry(s *session, cur *Request) {
	s.pendingBytes.Add(-int64(len(cur.Cmd))) // before answer: cur may be recycled after
	m.answer(cur)
	s.unanswered.Add(-1)
	s.freedSlot()
	s.checkDrained()
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
