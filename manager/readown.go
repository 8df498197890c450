package manager

import "context"

// readOwn reads the reply to req on the caller's goroutine. The caller
// holds s's reader role (readrole.go), and req, a single command, was the
// first entry pushed after the role was taken, unless appendRequest settled
// it without pushing it. Push frames met before the reply go to OnPush.
//
// Waiting for the reply to begin honours ctx: if it ends first, the role
// goes to the reader goroutine, which reads and drops the reply
// (invariant 2), and wait reports the abandon. A reply that has begun is
// read to its end, as the reader goroutine would read it; the stall
// detector bounds that. A failed read kills the session and hands the role
// back: the reader goroutine then ends and the teardown fails req. Either
// way wait, called next, gives the caller its outcome.
func (m *Manager) readOwn(ctx context.Context, s *session, req *Request) {
	var redial error
	for req.state.load() != stateCompleted {
		if err := s.awaitReply(ctx); err != nil {
			if ctx.Err() == nil {
				s.kill(&ConnError{Op: "read", Addr: s.addr, Err: err})
			}
			s.handBack()
			return
		}
		v, err := s.rd.ReadValue()
		if err != nil {
			s.kill(&ConnError{Op: "read", Addr: s.addr, Err: err})
			s.handBack()
			return
		}
		if _, stop := m.accept(s, v, nil, &redial); stop {
			s.handBack()
			return
		}
	}
	s.letGo()
}

// awaitReply waits until a byte of the next value has arrived, or ctx
// ends; it consumes nothing, so an interrupted wait leaves the stream
// whole for the reader goroutine.
func (s *session) awaitReply(ctx context.Context) error {
	if s.rd.Buffered() > 0 {
		return nil
	}
	if ctx.Done() == nil {
		return s.rd.Await()
	}
	w := newDeadlineWatch(ctx, s.nc, s.nc.SetReadDeadline)
	err := s.rd.Await()
	w.stop() // no deadline is left behind for the next reader
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
