package manager

import (
	"sync"
	"sync/atomic"

	"github.com/redmux/redmux/resp"
)

// requestState says who owns a request's result. Exactly one transition out
// of statePending happens, decided by compare-and-swap.
type requestState int32

const (
	// statePending: queued or in flight, and the caller is waiting.
	statePending requestState = iota
	// stateCompleted: the result is set and the caller owns the request.
	stateCompleted
	// stateAbandoned: the caller left; whoever completes it recycles it.
	stateAbandoned
)

// maxRetainedBuffer bounds the command buffer a recycled request keeps, so
// one huge SET does not pin memory in the request pool.
const maxRetainedBuffer = 64 << 10

// Request is one command, or a pipeline of commands sent back to back, on
// its way through a manager. Get one with NewRequest, append the encoded
// command(s) to Cmd, set Replies when more than one reply is expected, and
// hand it to Manager.Do or Manager.DoMulti, which take ownership: the caller
// must not touch a Request after passing it on.
type Request struct {
	// Cmd holds the encoded command(s). The request owns this buffer and
	// reuses it after the request is recycled.
	Cmd []byte
	// Replies is how many replies complete the request: 1 for a single
	// command, k for a pipeline of k commands (one FIFO entry, invariant 6).
	Replies int

	state   atomic.Int32
	done    chan struct{}   // buffered for one: completion never blocks
	ctxDone <-chan struct{} // the caller's ctx.Done(), checked before writing

	// ReadOnly marks a request whose every command only reads: one lost
	// with its connection after it was sent may be sent again.
	ReadOnly bool

	value   resp.Value   // the reply, when Replies == 1
	values  []resp.Value // the replies, when Replies > 1
	err     error
	pending int    // replies still expected; used by the reader only
	seq     uint64 // its place in its session's FIFO, from 1
}

var requestPool = sync.Pool{New: func() any {
	return &Request{done: make(chan struct{}, 1)}
}}

// NewRequest returns an empty request expecting one reply, from a pool.
func NewRequest() *Request {
	r := requestPool.Get().(*Request)
	r.Replies = 1
	return r
}

// Release returns a request to the pool: one never passed to a manager, or
// one whose outcome Send left with its caller.
func (r *Request) Release() { r.recycle() }

// Result returns the outcome of a request Send kept with its caller: the
// reply when Replies is 1, the replies when it is more, or the error.
func (r *Request) Result() (resp.Value, []resp.Value, error) {
	return r.value, r.values, r.err
}

// Rearm readies a request Send kept with its caller to be sent again,
// keeping its commands.
func (r *Request) Rearm() {
	r.value, r.values, r.err, r.ctxDone = resp.Value{}, nil, nil, nil
	r.pending, r.seq = 0, 0
	r.state.Store(int32(statePending))
}

func (r *Request) recycle() {
	if cap(r.Cmd) > maxRetainedBuffer {
		r.Cmd = nil
	}
	r.Cmd = r.Cmd[:0]
	r.Rearm()
	r.ReadOnly = false
	requestPool.Put(r)
}

// complete sets the result and hands it to the waiting caller, or recycles
// the request if the caller has left. It never blocks (invariant 4).
func (r *Request) complete(v resp.Value, values []resp.Value, err error) {
	r.value, r.values, r.err = v, values, err
	if r.state.CompareAndSwap(int32(statePending), int32(stateCompleted)) {
		r.done <- struct{}{}
		return
	}
	r.recycle()
}

// abandon is called by a caller whose context ended. It reports true when
// the caller may leave (the request now belongs to the manager), false when
// the result is already there and the caller must take it.
func (r *Request) abandon() bool {
	return r.state.CompareAndSwap(int32(statePending), int32(stateAbandoned))
}

// gaveUp reports whether the caller left or its context is done, without
// blocking. The writer uses it to skip requests nobody waits for.
func (r *Request) gaveUp() bool {
	if requestState(r.state.Load()) == stateAbandoned {
		return true
	}
	select {
	case <-r.ctxDone:
		return true
	default:
		return false
	}
}
