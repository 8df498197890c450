package manager

import (
	"context"
	"fmt"

	"github.com/redmux/redmux/resp"
)

// readOwn reads the reply to req on the caller's goroutine. The caller
// holds s's reader role (readrole.go), and req, a single command, was the
// first entry pushed after the role was taken, unless appendRequest settled
// it without pushing it. Push frames met before the reply go to OnPush.
//
// ctx bounds the whole read. If it ends before the reply begins, nothing
// was consumed: the role goes to the reader goroutine, which reads and
// drops the reply (invariant 2). If it ends in the middle of the reply,
// the stream is no longer in step: the session is killed, as a dedicated
// connection's Receive does. A failed read kills the session too. Either
// way the role is handed back, the reader goroutine ends and the teardown
// fails what is left; wait, called next, gives the caller its outcome. If a
// callback (OnPush, RedialOn) panics on this goroutine, the role is handed
// back before the panic goes on, so the manager never waits for a reader
// that is gone.
func (m *Manager) readOwn(ctx context.Context, s *session, req *Request) {
	settled := false
	defer func() {
		if !settled { // unwinding: a callback panicked
			s.kill(&ConnError{Op: "read", Addr: s.addr, Err: errCallbackPanicked})
			s.handBack()
		}
	}()
	var redial error
	for req.state.load() != stateCompleted {
		v, err := s.readOwnValue(ctx)
		if err != nil {
			s.handBack()
			settled = true
			return
		}
		if _, stop := m.accept(s, v, nil, &redial); stop {
			s.handBack()
			settled = true
			return
		}
	}
	s.letGo()
	settled = true
}

var errCallbackPanicked = fmt.Errorf("a callback panicked while its caller read its own reply")

// readOwnValue reads one value for a caller holding the role, within ctx.
// It kills the session unless the error left the stream whole (ctx ended
// before a byte of the value arrived).
func (s *session) readOwnValue(ctx context.Context) (resp.Value, error) {
	var w *deadlineWatch
	if ctx.Done() != nil {
		w = newDeadlineWatch(ctx, s.nc, s.nc.SetReadDeadline)
	}
	stop := func() {
		if w != nil {
			w.stop() // no deadline is left behind for the next reader
		}
	}
	if err := s.rd.Await(); err != nil { // consumes nothing
		stop()
		if ctx.Err() == nil {
			s.kill(&ConnError{Op: "read", Addr: s.addr, Err: err})
		}
		return resp.Value{}, err
	}
	v, err := s.rd.ReadValue()
	stop()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("the caller's context ended in the middle of its reply: %w", ctx.Err())
		}
		s.kill(&ConnError{Op: "read", Addr: s.addr, Err: err})
	}
	return v, err
}
