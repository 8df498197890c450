package manager

import (
	"sync"
	"sync/atomic"

	"github.com/redmux/redmux/resp"
)

// requestState says who owns a Request. A request moves only along
//
//	free            --NewRequest-->              idle
//	idle            --Send-->                    pending
//	pending         --reply or failure-->        completed  (by the manager)
//	pending         --the caller's ctx ends-->   abandoned  (by the caller)
//	abandoned       --reply or failure-->        free       (the manager recycles it)
//	completed       --Rearm-->                   idle
//	idle, completed --Release-->                 free
//
// Only the owner moves a request on, except out of pending, where the
// manager completing it races with the caller giving up: compare-and-swap
// decides. Any other move panics: a request released twice would go into
// the pool twice and be handed to two callers at once, each reading the
// other's reply.
type requestState uint32

const (
	// stateFree: in the pool; nobody may touch it.
	stateFree requestState = iota
	// stateIdle: held by a caller, who fills in its commands.
	stateIdle
	// statePending: handed to a manager, queued or in flight; the caller
	// waits and may not touch it.
	statePending
	// stateCompleted: the result is in; the caller owns it again.
	stateCompleted
	// stateAbandoned: the caller left while it was pending; the manager
	// recycles it when it completes.
	stateAbandoned
)

func (s requestState) String() string {
	switch s {
	case stateFree:
		return "free"
	case stateIdle:
		return "idle"
	case statePending:
		return "pending"
	case stateCompleted:
		return "completed"
	case stateAbandoned:
		return "abandoned"
	}
	return "corrupt"
}

// ownership is a request's state, changed atomically.
type ownership struct{ v atomic.Uint32 }

func (o *ownership) load() requestState { return requestState(o.v.Load()) }

func (o *ownership) store(s requestState) { o.v.Store(uint32(s)) }

func (o *ownership) cas(from, to requestState) bool {
	return o.v.CompareAndSwap(uint32(from), uint32(to))
}

// misuse panics: op was applied to a request in state s.
func misuse(op string, s requestState) {
	panic("redmux/manager: " + op + " of a Request that is " + s.String())
}

// maxRetainedBuffer bounds the command buffer a recycled request keeps, so
// one huge SET does not pin memory in the request pool.
const maxRetainedBuffer = 64 << 10

// maxRetainedReplies bounds the reply slots a recycled request keeps, for
// the same reason.
const maxRetainedReplies = 64

// Request is one command, or a pipeline of commands sent back to back, on
// its way through a manager. It has one owner at a time, and checks it:
//
//   - NewRequest returns an idle request, which its caller fills: it
//     appends the encoded command(s) to Cmd and sets Replies when more than
//     one reply is expected.
//   - Manager.Send takes an idle request and makes it pending: the
//     manager owns it until it completes. Then the caller owns it again,
//     completed, unless Send reported that it was left to the manager
//     (see Send).
//   - Result reads a completed request; Rearm makes it idle again, with
//     the same commands, to be sent once more; Release gives an idle or
//     completed request back to the pool.
//
// A call in the wrong state (Release twice, Release or Rearm of a pending
// request, Send of a request that is not idle, Result before completion)
// panics, saying which. A request released and then reused by another
// caller can no longer be told apart from that caller's: the check catches
// misuse before that, not after.
type Request struct {
	// Cmd holds the encoded command(s). The request owns this buffer and
	// reuses it after the request is recycled. Change it only while the
	// request is idle.
	Cmd []byte
	// Replies is how many replies complete the request: 1 for a single
	// command, k for a pipeline of k commands, which is one FIFO entry.
	Replies int
	// ReadOnly marks a request whose every command only reads: one lost
	// with its connection after it was sent may be sent again.
	ReadOnly bool

	state   ownership
	done    chan struct{}   // buffered for one: completion never blocks
	ctxDone <-chan struct{} // the caller's ctx.Done(), checked before writing

	// replies is the result: one[:n] until a pipeline outgrows it, then a
	// buffer the request keeps for reuse. Written by the reader while the
	// request is pending, read by the owner once it is completed.
	replies []resp.Value
	one     [1]resp.Value
	err     error
	seq     uint64 // its place in its session's FIFO, from 1
	refused bool   // failed with ErrClosed by a closing manager before it was taken (see Refused)
}

var requestPool = sync.Pool{New: func() any {
	r := &Request{done: make(chan struct{}, 1)}
	r.replies = r.one[:0]
	return r
}}

// NewRequest returns an idle request expecting one reply, from a pool.
func NewRequest() *Request {
	r := requestPool.Get().(*Request)
	if !r.state.cas(stateFree, stateIdle) {
		misuse("NewRequest got from the pool", r.state.load())
	}
	r.Replies = 1
	return r
}

// Release gives an idle or completed request back to the pool. It panics
// if the request is pending or abandoned (the manager owns it), or was
// already released.
func (r *Request) Release() {
	s := r.state.load()
	if (s != stateIdle && s != stateCompleted) || !r.state.cas(s, stateFree) {
		if s = r.state.load(); s == stateFree {
			panic("redmux/manager: Release called twice (the Request is already free)")
		}
		misuse("Release", s)
	}
	r.reset()
	requestPool.Put(r)
}

// Result returns the outcome of a completed request: its replies, one per
// command, or the error that failed it (ErrClosed, a *ConnError, a context
// error), with no replies. The slice belongs to the request: it is valid
// until Release or Rearm, and a caller that keeps replies longer copies
// them. Result panics unless the request is completed.
func (r *Request) Result() (replies []resp.Value, err error) {
	if s := r.state.load(); s != stateCompleted {
		misuse("Result", s)
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.replies, nil
}

// Refused reports whether a completed request failed with ErrClosed
// because its manager was closing when it arrived: the manager never took
// it, so it was never sent, and it may go to another manager if the pool
// is still open (one the pool closed for being idle, say). It panics
// unless the request is completed.
func (r *Request) Refused() bool {
	if s := r.state.load(); s != stateCompleted {
		misuse("Refused", s)
	}
	return r.refused
}

// Rearm makes a completed request idle again, keeping its commands and
// dropping its result, so that it can be sent once more, here or to
// another manager. It panics unless the request is completed.
func (r *Request) Rearm() {
	if !r.state.cas(stateCompleted, stateIdle) {
		misuse("Rearm", r.state.load())
	}
	r.clearResult()
}

// send moves an idle request to pending for op (Send, or the manager's do
// and doMulti), panicking if it is not idle.
func (r *Request) send(op string) {
	if !r.state.cas(stateIdle, statePending) {
		misuse(op, r.state.load())
	}
}

// fail completes a pending request that never left its caller's goroutine.
func (r *Request) fail(err error) {
	r.err = err
	r.state.store(stateCompleted)
}

// clearResult drops the replies and error, so that the request keeps no
// reply data alive, and the per-send bookkeeping.
func (r *Request) clearResult() {
	clear(r.replies)
	r.one[0] = resp.Value{}
	if cap(r.replies) > maxRetainedReplies {
		r.replies = r.one[:0]
	} else {
		r.replies = r.replies[:0]
	}
	r.err, r.ctxDone, r.seq, r.refused = nil, nil, 0, false
}

// reset readies a request that just became free for its next user.
func (r *Request) reset() {
	if cap(r.Cmd) > maxRetainedBuffer {
		r.Cmd = nil
	}
	r.Cmd = r.Cmd[:0]
	r.Replies = 0
	r.ReadOnly = false
	r.clearResult()
}

// addReply records one reply of a pending request; the reader calls it.
func (r *Request) addReply(v resp.Value) {
	if len(r.replies) == 0 && r.Replies > cap(r.replies) {
		r.replies = make([]resp.Value, 0, min(r.Replies, 1024))
	}
	r.replies = append(r.replies, v)
}

// complete ends a pending request with err (nil: its replies are in) and
// hands it to the waiting caller, or recycles it if the caller has left.
// It never blocks (invariant 4). Completing a request twice panics.
func (r *Request) complete(err error) {
	if err != nil {
		clear(r.replies) // a pipeline cut short: drop what had arrived
		r.replies = r.replies[:0]
	}
	r.err = err
	if r.state.cas(statePending, stateCompleted) {
		r.done <- struct{}{}
		return
	}
	if !r.state.cas(stateAbandoned, stateFree) {
		misuse("completion", r.state.load())
	}
	r.reset()
	requestPool.Put(r)
}

// abandon is called by a caller whose context ended. It reports true when
// the caller may leave (the request now belongs to the manager), false when
// the result is already there and the caller must take it.
func (r *Request) abandon() bool {
	return r.state.cas(statePending, stateAbandoned)
}

// gaveUp reports whether the caller left or its context is done, without
// blocking. The writer uses it to skip requests nobody waits for.
func (r *Request) gaveUp() bool {
	if r.state.load() == stateAbandoned {
		return true
	}
	select {
	case <-r.ctxDone:
		return true
	default:
		return false
	}
}
