// Package manager implements one connection-manager actor: a single
// connection to a Redis server, a bounded command channel, a writer
// goroutine that pipelines whatever is queued into one write, and a reader
// goroutine that matches replies to requests in FIFO order.
//
// The FIFO holds entries in the order of their bytes on the wire, and an
// entry leaves it only by its reply or by teardown, so a caller that leaves
// early never desyncs the connection; a request whose caller gave up before
// the write is never written; the reader never waits on a caller; reads
// and writes run on separate goroutines; a pipeline is one entry expecting
// k replies; push frames bypass the FIFO; the queue and the in-flight count
// are bounded and enqueueing respects the caller's context; shutdown
// flushes, waits for replies up to a deadline and then fails the rest with
// ErrClosed. docs/ARCHITECTURE.md at the repository root numbers these
// invariants, and comments in this package refer to them by those numbers.
//
// A request normally reaches the wire through the writer goroutine; when
// the manager is nearly idle its caller writes it directly, under the same
// write lock, so the FIFO order stays the wire order (see writeDirect).
//
// A Request has one owner at a time, and checks it: see Request.
//
// This is an internal layer of redmux, used by the pool package; its API
// serves the layers above it and may change at any time. Programs use the
// root package, github.com/redmux/redmux. It imports only the standard
// library and resp.
package manager

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/resp"
)

// errNotSent marks a request the writer dropped because its caller's
// context ended before the write; the caller reports its context's error.
var errNotSent = errors.New("redmux: request not sent: its context ended first")

// errUnexpectedReply kills a connection that sends a reply nobody asked for.
var errUnexpectedReply = errors.New("server sent a reply with no request waiting for it")

// Manager is one connection-manager actor. All its methods are safe for
// concurrent use by any number of goroutines. Requests submitted by one
// goroutine are written in the order it submitted them; requests from
// different goroutines are written in the order they reach the queue, and
// every reply goes back to the request it answers.
type Manager struct {
	cfg   Config
	queue chan *Request

	load      atomic.Int64 // queued + written but unanswered
	enqueuers atomic.Int32 // callers between the closing check and the queue
	closing   atomic.Bool

	shutdown     chan struct{} // closed when shutdown begins
	shutdownOnce sync.Once
	deadline     time.Time // how long shutdown waits for replies
	life         context.Context
	endLife      context.CancelFunc // cancels a reconnect dial at shutdown
	forceTimer   *time.Timer        // kills the session at the shutdown deadline
	done         chan struct{}      // closed when every goroutine has exited
	watchDone    chan struct{}      // closed when the stall detector has exited

	current atomic.Pointer[session] // nil while disconnected
	lastErr atomic.Pointer[error]   // why the last connection or dial failed

	// writeMu is the right to write to the current session and to push
	// onto its FIFO: the writer goroutine holds it for a batch, a caller
	// for its direct write, teardown while it empties the FIFO.
	writeMu sync.Mutex
	wbuf    []byte // guarded by writeMu

	stats counters

	// backoff is where the next reconnect's backoff starts (writer
	// goroutine only); healthy records that the current session answered
	// a request, which resets it.
	backoff time.Duration
	healthy atomic.Bool

	// redials counts Reconnect calls, so that a dial that began before one
	// is not kept; redialNow (buffered for one) cuts a backoff wait short.
	redials   atomic.Uint64
	redialNow chan struct{}
}

// New dials cfg.Addr, runs the handshake and starts the manager's
// goroutines. On failure it returns a *ConnError and leaves nothing running.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:       cfg,
		queue:     make(chan *Request, cfg.QueueLen),
		shutdown:  make(chan struct{}),
		done:      make(chan struct{}),
		watchDone: make(chan struct{}),
		redialNow: make(chan struct{}, 1),
	}
	s, err := connect(ctx, cfg, &m.stats.bytesIn)
	if err != nil {
		return nil, err
	}
	m.life, m.endLife = context.WithCancel(context.Background())
	m.logConnected(s)
	m.start(s)
	go m.run(s)
	go m.watch()
	return m, nil
}

// Load returns the number of requests queued or written but unanswered.
func (m *Manager) Load() int64 { return m.load.Load() }

// Closing reports whether shutdown has begun.
func (m *Manager) Closing() bool { return m.closing.Load() }

// Unavailable returns the error for req when no manager could take it: a
// *ConnError naming the command, this manager's address and the latest
// connection failure. It releases req.
func (m *Manager) Unavailable(req *Request) error {
	err := downError(m.cfg.Addr, m.lastFailure(), req)
	req.Release()
	return err
}

func (m *Manager) lastFailure() error {
	if err := m.lastErr.Load(); err != nil {
		return *err
	}
	return errors.New("not connected")
}

// Connected reports whether the manager has a live connection.
func (m *Manager) Connected() bool {
	s := m.current.Load()
	return s != nil && !s.killed()
}

// do sends one command and returns its reply. It takes ownership of req,
// which must be idle, and releases it. It returns ctx's error if ctx ends
// first (the reply, if any, is read and dropped), ErrClosed after shutdown
// began, and a *ConnError if the connection fails. Server error replies are
// returned as values.
func (m *Manager) do(ctx context.Context, req *Request) (resp.Value, error) {
	if req.Replies != 1 {
		req.send("Do") // the ownership check comes first
		err := fmt.Errorf("redmux: Do takes a request expecting 1 reply, not %d (use DoMulti)", req.Replies)
		req.fail(err)
		req.Release()
		return resp.Value{}, err
	}
	if !m.send(ctx, req, "Do") {
		return resp.Value{}, ctx.Err()
	}
	replies, err := req.Result()
	var v resp.Value
	if err == nil {
		v = replies[0]
	}
	req.Release()
	return v, err
}

// doMulti sends req.Replies commands back to back as one FIFO entry and
// returns their replies in order. It takes ownership of req, which must be
// idle, and releases it; the replies returned belong to the caller.
func (m *Manager) doMulti(ctx context.Context, req *Request) ([]resp.Value, error) {
	if !m.send(ctx, req, "DoMulti") {
		return nil, ctx.Err()
	}
	replies, err := req.Result()
	replies = slices.Clone(replies) // they are the request's until Release
	req.Release()
	return replies, err
}

// Send sends req, which must be idle, and waits for its outcome. It
// reports false when ctx ended first: req then belongs to the manager,
// which reads and drops its reply, and the caller reports ctx's error.
// Otherwise req is completed and the caller owns it again: Result returns
// its outcome (the replies, or ErrClosed, ctx's error if it was never
// sent, a *ConnError), and the caller must Release it, or Rearm it to send
// it again, here or to another manager.
func (m *Manager) Send(ctx context.Context, req *Request) (kept bool) {
	return m.send(ctx, req, "Send")
}

// send is Send, with op naming the caller's method in a misuse panic.
func (m *Manager) send(ctx context.Context, req *Request, op string) (kept bool) {
	req.send(op)
	if req.Replies < 1 || len(req.Cmd) == 0 {
		// An empty command gets no reply from Redis: its FIFO entry would
		// take the next command's reply and shift every reply after it.
		req.fail(fmt.Errorf("redmux: empty request (%d bytes, %d replies expected)", len(req.Cmd), req.Replies))
		return true
	}
	s, ownRead, err := m.enqueue(ctx, req)
	if err != nil {
		req.fail(err)
		return true
	}
	if ownRead {
		m.readOwn(ctx, s, req)
	}
	return wait(ctx, req)
}

// enqueue hands req to the writer, waiting no longer than ctx. A request
// that finds the manager nearly idle is written at once on the caller's own
// goroutine (see writeDirect); ownRead then says that the caller, alone on
// the manager, holds the reader role of s and reads its own reply
// (readOwn).
func (m *Manager) enqueue(ctx context.Context, req *Request) (s *session, ownRead bool, err error) {
	m.enqueuers.Add(1)
	defer m.enqueuers.Add(-1)
	if m.closing.Load() {
		req.refused = true
		return nil, false, ErrClosed
	}
	req.ctxDone = ctx.Done()
	if load := m.load.Add(1); load <= maxDirectLoad {
		alone := load == 1 && req.Replies == 1 && m.cfg.CallerReads
		if s, ownRead, ok := m.writeDirect(req, alone); ok {
			return s, ownRead, nil
		}
	}
	select {
	case m.queue <- req:
		return nil, false, nil
	default:
	}
	select {
	case m.queue <- req:
		return nil, false, nil
	case <-ctx.Done():
		m.load.Add(-1)
		return nil, false, ctx.Err()
	}
}

// maxDirectLoad is the load (counting the new request) up to which a caller
// may write its request itself when the writer is idle and nothing is
// queued. With so few requests outstanding there is little to batch, and
// writing at once beats waiting for the writer goroutine: measured against
// rueidis at 1 and 8 goroutines (BENCHMARKS.md). Above it, batching wins.
const maxDirectLoad = 3

// maxDirectBytes bounds the bytes unanswered on the connection, the new
// request's included, for a caller to write its request itself. A TCP
// socket's send buffer starts at 16 KiB on Linux (tcp_wmem) and grows, so
// such a write completes at once and cannot hold the caller past its
// context; otherwise the request goes through the writer goroutine. It was
// 4 KiB, which sent every SET of a 4 KiB value through the writer
// goroutine, its caller unable to read its own reply (1 goroutine,
// unpinned: 0.69× rueidis, 1.00× at 8 KiB, BENCHMARKS.md).
const maxDirectBytes = 8 << 10

// writeDirect writes a request on the caller's goroutine, saving the
// hand-off to the writer goroutine and back when there is little to batch
// it with. It reports false, having done nothing, unless the writer is
// idle, nothing is queued, the FIFO has room and little is unanswered (see
// maxDirectBytes); the request then takes the queue. It never blocks: the
// caller's context is not watched here. With alone, a caller that finds
// nothing outstanding takes the reader role before it pushes (ownRead):
// it will read its own reply.
func (m *Manager) writeDirect(req *Request, alone bool) (s *session, ownRead, ok bool) {
	if !m.writeMu.TryLock() {
		return nil, false, false
	}
	defer m.writeMu.Unlock()
	s = m.current.Load()
	if s == nil || s.killed() || len(m.queue) > 0 || !s.hasRoom() ||
		s.pendingBytes.Load()+int64(len(req.Cmd)) > maxDirectBytes {
		return nil, false, false // under writeMu only we push, so the FIFO's room stays
	}
	ownRead = alone && s.deadlines && s.unanswered.Load() == 0 && s.casRole(roleUnowned, roleCaller)
	m.wbuf = m.flush(s, m.appendRequest(s, m.wbuf[:0], req))
	return s, ownRead, true
}

// wait waits for req's outcome, or for ctx to end. It reports false when
// ctx ended first and req was left to the manager, which reads and drops
// its reply, so the connection stays in step (invariant 2); true when req
// is completed.
func wait(ctx context.Context, req *Request) bool {
	select {
	case <-req.done:
	case <-ctx.Done():
		if req.abandon() {
			return false
		}
		<-req.done // completed just before we gave up: take the result
	}
	if errors.Is(req.err, errNotSent) && ctx.Err() != nil {
		req.err = ctx.Err()
	}
	return true
}

// Shutdown begins the coordinated shutdown: new requests get ErrClosed,
// queued ones are written, replies are awaited until deadline, then the
// connection closes and what is left fails with ErrClosed. It does not
// wait; Done is closed once it is over. Later calls do nothing.
func (m *Manager) Shutdown(deadline time.Time) {
	m.shutdownOnce.Do(func() {
		m.deadline = deadline
		m.closing.Store(true)
		// The writer may be blocked (a full FIFO, a write the server does
		// not read) and never reach finish: the deadline must not depend
		// on it.
		m.forceTimer = time.AfterFunc(time.Until(deadline), m.forceClose)
		close(m.shutdown)
		m.endLife()
	})
}

// forceClose ends the current session at the shutdown deadline.
func (m *Manager) forceClose() {
	if s := m.current.Load(); s != nil {
		s.kill(ErrClosed)
	}
}

// Done returns a channel closed once every goroutine of the manager has
// exited, which happens only after Shutdown.
func (m *Manager) Done() <-chan struct{} { return m.done }

// start makes s the current session and starts its reader.
func (m *Manager) start(s *session) {
	m.healthy.Store(false)
	m.current.Store(s)
	go m.readLoop(s)
}
