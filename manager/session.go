package manager

import (
	"net"
	"sync"
	"sync/atomic"

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
}

func newSession(addr string, nc net.Conn, cfg Config) *session {
	return &session{
		addr:       addr,
		nc:         nc,
		rd:         resp.NewReaderLimits(nc, cfg.Limits),
		inflight:   make(chan *Request, cfg.MaxInFlight),
		dead:       make(chan struct{}),
		readerDone: make(chan struct{}),
		drained:    make(chan struct{}),
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
// it: ErrClosed during shutdown, otherwise a *ConnError naming the command.
// Only valid after dead is closed.
func (s *session) failure(req *Request) error {
	if ce, ok := s.cause.(*ConnError); ok {
		return ce.forCommand(req.Cmd)
	}
	return s.cause
}

// checkDrained closes drained if the writer is done pushing and every entry
// has been answered.
func (s *session) checkDrained() {
	if s.lastPushed.Load() && s.unanswered.Load() == 0 {
		s.drainOnce.Do(func() { close(s.drained) })
	}
}
