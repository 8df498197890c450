package manager

import (
	"cmp"
	"time"

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
	idle := time.NewTimer(readerIdleCheck)
	idle.Stop()
	var cur *Request // the entry being answered; a pipeline may take several replies
	var redial error // Config.RedialOn's cause, acted on once cur is answered
	for {
		if m.cfg.CallerReads && cur == nil && s.unanswered.Load() == 0 && (m.load.Load() <= 1 || s.killed()) {
			// Idle, or one caller on its way in, who will be alone: it may
			// read its own reply. (Keeping the role while that one caller
			// comes back made a convoy: a caller quick to return found the
			// reader still holding it, pushed through it, and kept it busy
			// for the next round.) With more callers on their way in,
			// reading on is cheaper.
			s.parkReader(idle, cmp.Or(m.cfg.readerIdle, readerIdleCheck))
		}
		v, err := s.rd.ReadValue()
		if err != nil {
			s.kill(&ConnError{Op: "read", Addr: s.addr, Err: err})
			break
		}
		var stop bool
		if cur, stop = m.accept(s, v, cur, &redial); stop {
			break
		}
	}
	if cur != nil {
		// A pipeline cut short: it leaves by teardown, like the rest.
		m.settle(cur, s.failure(cur, true)) // its replies had begun
	}
}

// accept takes one value read on s: a push goes to OnPush; a reply joins
// cur, the entry at the FIFO's front, which is answered once all its
// replies are in. It returns the entry still being answered (nil when none
// is), and stop when the session was killed: for a reply nobody asked for
// (invariant 8), or one Config.RedialOn objects to, once its entry is
// answered. The reader goroutine and a caller reading its own reply share
// it.
func (m *Manager) accept(s *session, v resp.Value, cur *Request, redial *error) (next *Request, stop bool) {
	if v.Type() == resp.TypePush {
		m.deliverPush(v)
		return cur, false
	}
	if cur == nil {
		if cur = m.popFront(s); cur == nil {
			s.kill(&ConnError{Op: "read", Addr: s.addr, Err: errUnexpectedReply})
			return nil, true
		}
	}
	cur.addReply(v)
	if *redial == nil {
		*redial = m.redialCause(v)
	}
	if len(cur.replies) < cur.Replies {
		return cur, false
	}
	if *redial != nil {
		// Before the answer: its caller, or the pool resending it, must
		// find this connection gone.
		s.kill(&ConnError{Op: "read", Addr: s.addr, Err: *redial})
	}
	m.finishEntry(s, cur)
	if *redial != nil {
		// The answer marked the session healthy: a server answering so at
		// every connect must be redialed with backoff, not in a loop.
		m.healthy.Store(false)
		return nil, true
	}
	return nil, false
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
