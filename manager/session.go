package manager

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/resp"
)

// session is one live connection of a manager: the socket, its reply reader
// and its in-flight FIFO. A manager replaces a dead session with a new one;
// a session is never revived.
type session struct {
	addr     string
	nc       net.Conn
	rd       *resp.Reader
	inflight chan *Request // the FIFO: entries in the order of their bytes

	dead     chan struct{} // closed by kill
	cause    error         // why it died; written once, before dead closes
	killOnce sync.Once

	readerDone chan struct{} // closed when the reader goroutine returns

	// Shutdown handshake between writer and reader: the writer sets
	// lastPushed after its final FIFO push; whichever of the two then sees
	// an empty FIFO closes drained.
	lastPushed atomic.Bool
	unanswered atomic.Int64 // entries pushed and not yet fully answered
	// pendingBytes is the encoded size of the entries pushed and not yet
	// fully answered: an upper bound on what sits unread in the socket
	// buffers, which decides whether a direct write could block.
	pendingBytes atomic.Int64
	drained      chan struct{}
	drainOnce    sync.Once

	// batched counts the requests appended to the batch being built and
	// not yet flushed; pushed numbers every FIFO entry (Request.seq). Both
	// are guarded by the manager's writeMu. attempted is the seq of the
	// last entry handed to a write call: entries after it were never sent.
	batched   int
	pushed    uint64
	attempted atomic.Uint64
	// slotWanted is set while the writer waits for FIFO room; the reader
	// then signals slotFreed (buffered for one) after each completion.
	slotWanted atomic.Bool
	slotFreed  chan struct{}

	// role says who reads replies (a readRole); readerWake wakes the
	// reader goroutine when the role is handed to it. See readrole.go.
	role       atomic.Int32
	readerWake chan struct{}
	// deadlines: the connection takes read deadlines, by which a caller
	// reading its own reply honours its context; without them callers
	// never read their own.
	deadlines bool
}

func newSession(addr string, nc net.Conn, cfg Config, bytesIn *atomic.Uint64) *session {
	return &session{
		addr:       addr,
		nc:         nc,
		rd:         resp.NewReaderLimits(countingReader{nc, bytesIn}, cfg.Limits),
		inflight:   make(chan *Request, cfg.MaxInFlight),
		dead:       make(chan struct{}),
		readerDone: make(chan struct{}),
		drained:    make(chan struct{}),
		slotFreed:  make(chan struct{}, 1),
		readerWake: make(chan struct{}, 1),
		deadlines:  nc.SetReadDeadline(time.Time{}) == nil,
	}
}

// hasRoom reports whether the FIFO can take one more entry without
// blocking. It counts unanswered entries, which are never fewer than the
// entries in the FIFO (a pipeline being answered has left the FIFO but is
// still unanswered), so it errs on the side of waiting.
func (s *session) hasRoom() bool {
	return s.unanswered.Load() < int64(cap(s.inflight))
}

// freedSlot wakes a writer waiting for FIFO room; called by the reader
// after each completion.
func (s *session) freedSlot() {
	if s.slotWanted.Load() {
		select {
		case s.slotFreed <- struct{}{}:
		default:
		}
	}
}

// kill closes the connection once; later calls keep the first cause.
func (s *session) kill(cause error) {
	s.killOnce.Do(func() {
		s.cause = cause
		close(s.dead)
		_ = s.nc.Close()
	})
}

// killed reports whether kill was called.
func (s *session) killed() bool {
	select {
	case <-s.dead:
		return true
	default:
		return false
	}
}

// failure returns the error a request gets when this session dies under
// it: ErrClosed during shutdown, otherwise a *ConnError naming the command
// and whether it was sent. Only valid after dead is closed.
func (s *session) failure(req *Request, sent bool) error {
	if ce, ok := s.cause.(*ConnError); ok {
		return ce.forCommand(req.Cmd, sent)
	}
	return s.cause
}

// wasSent reports whether req, taken from the FIFO, was in a batch handed
// to a write call.
func (s *session) wasSent(req *Request) bool { return req.seq <= s.attempted.Load() }

// checkDrained closes drained if the writer is done pushing and every entry
// has been answered.
func (s *session) checkDrained() {
	if s.lastPushed.Load() && s.unanswered.Load() == 0 {
		s.drainOnce.Do(func() { close(s.drained) })
	}
}

// countingReader adds every byte read from the connection to a counter as
// it arrives, not when a reply is complete: the stall detector counts a
// long reply still arriving as progress.
type countingReader struct {
	r     io.Reader
	count *atomic.Uint64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.count.Add(uint64(n))
	return n, err
}
