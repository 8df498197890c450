// Package fakeredis is the scriptable Redis stand-in of this module's
// tests: one server type that a test reaches over loopback TCP (Start, and
// the presets) or over net.Pipe through its Dial method (StartPipe, for
// tests that must decide exactly when each byte moves).
//
// A connection is served in one of three ways:
//
//   - manual (the default): the test takes each command with Conn.Next or
//     Conn.Expect and answers it, when it chooses, with Reply, raw bytes,
//     a close or nothing at all;
//   - a Handler, which answers each command on the connection's reading
//     goroutine (request/response servers: Serve, Pong, Silent);
//   - a Script, run on a goroutine of its own per connection, that reads
//     commands with Conn.Command and misbehaves as it likes (Hostile).
//
// Whatever the mode, every command received is recorded (Received), a
// server started by a test is closed by the test's cleanup, and every wait
// is bounded by testwait.Limit. GetSet is a separate, allocation-free
// preset for benchmarks and allocation counts.
//
// The package imports only the standard library, resp and testwait, so
// the tests of every layer (manager, pool, the root package) can use it.
package fakeredis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// PipeAddr is the address of a server started with StartPipe. Its Dial
// ignores the address it is given, so any address will do; this one is
// for messages.
const PipeAddr = "fakeredis.pipe:6379"

// ErrClosed is returned by Conn.Command, and by Dial, once the server is
// closed.
var ErrClosed = errors.New("fakeredis: server closed")

// Handler answers one command received on c. It runs on c's reading
// goroutine: the next command is read once it returns.
type Handler func(c *Conn, cmd []string)

// Script plays one connection from start to end, on a goroutine of its
// own, reading commands with c.Command. The connection is closed when the
// script returns.
type Script func(c *Conn)

// Option configures a server.
type Option func(*config)

type config struct {
	handler   Handler
	script    Script
	handshake bool
	auto      func(cmd []string) (resp.Value, bool)
	getReply  []byte // non-nil: the allocation-free GET/SET server
}

// WithHandler answers every command with h.
func WithHandler(h Handler) Option { return func(c *config) { c.handler = h } }

// WithScript runs s on every connection.
func WithScript(s Script) Option { return func(c *config) { c.script = s } }

// AnswerHandshake plays the server's part of the root package's connection
// handshake on every connection, as a server without HELLO (before Redis
// 6): HELLO gets an unknown-command error, so the client falls back to
// RESP2; each command up to and including the first PING, which ends that
// handshake, is answered at once (+OK, and +PONG to the PING) and never
// reaches the test, handler or script. Received still lists them.
func AnswerHandshake() Option { return func(c *config) { c.handshake = true } }

// AutoReply answers at once, whenever it arrives, every command for which
// reply returns true; the others are served as usual. With SetupCommands
// it answers a manager's handshake while the test scripts the rest.
func AutoReply(reply func(cmd []string) (resp.Value, bool)) Option {
	return func(c *config) { c.auto = reply }
}

// Server is a fake Redis server. Its methods are safe for concurrent use.
type Server struct {
	tb   testing.TB
	cfg  config
	l    net.Listener // nil: reached only through Dial, over net.Pipe
	addr string
	quit chan struct{} // closed by Close
	wg   sync.WaitGroup
	once sync.Once

	mu        sync.Mutex
	closed    bool
	conns     []*Conn       // every connection, in the order they were made
	accepted  int           // how many of conns Accept has returned
	added     chan struct{} // closed, and replaced, when a connection is added
	log       [][]string
	dials     int
	dialHook  func(ctx context.Context, n int) error
	writeHook func(p []byte)
}

// Start starts a server listening on 127.0.0.1:0. It is closed when the
// test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("fakeredis: %v", err)
	}
	s := newServer(tb, l, opts)
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

// StartPipe starts a server that listens nowhere: each call of its Dial
// makes a net.Pipe and serves the far end. net.Pipe has no buffer, so a
// client's write returns only once the server has read it all, a server
// that stops reading (PauseReads) stalls the writer at once, and a reply
// is sent only once the client reads it.
func StartPipe(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return newServer(tb, nil, opts)
}

func newServer(tb testing.TB, l net.Listener, opts []Option) *Server {
	s := &Server{tb: tb, l: l, addr: PipeAddr, quit: make(chan struct{}), added: make(chan struct{})}
	for _, o := range opts {
		o(&s.cfg)
	}
	if l != nil {
		s.addr = l.Addr().String()
	}
	tb.Cleanup(s.Close)
	return s
}

// Addr is the server's address: where it listens, or PipeAddr.
func (s *Server) Addr() string { return s.addr }

// Dial is a dial function for a client's configuration (its network and
// addr are ignored). It counts the dial, runs the dial hook, and connects
// to the server: over net.Pipe for a StartPipe server, over TCP otherwise.
// It returns once the server has taken the connection (so CloseConns, say,
// closes it), and the connection it returns runs the client write hook.
func (s *Server) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	s.mu.Lock()
	s.dials++
	n, hook := s.dials, s.dialHook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, n); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var nc net.Conn
	if s.l == nil {
		client, server := net.Pipe()
		if !s.add(server) {
			_ = client.Close()
			return nil, ErrClosed
		}
		nc = client
	} else {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			return nil, err
		}
		if err := s.awaitAccepted(ctx, c.LocalAddr().String()); err != nil {
			_ = c.Close()
			return nil, err
		}
		nc = c
	}
	return &clientConn{Conn: nc, s: s}, nil
}

// awaitAccepted waits until the server has taken the TCP connection whose
// client end is at addr.
func (s *Server) awaitAccepted(ctx context.Context, addr string) error {
	timer := time.NewTimer(testwait.Limit)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for _, c := range s.conns {
			if c.nc.RemoteAddr().String() == addr {
				s.mu.Unlock()
				return nil
			}
		}
		added := s.added
		s.mu.Unlock()
		select {
		case <-added:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.quit:
			return ErrClosed
		case <-timer.C:
			return fmt.Errorf("fakeredis: connection from %s not accepted within %v", addr, testwait.Limit)
		}
	}
}

// Dials returns how many times Dial was called.
func (s *Server) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials
}

// SetDialHook makes Dial call hook first, with the dial's context and its
// number (counting from 1); an error from hook is Dial's error, and no
// connection is made.
func (s *Server) SetDialHook(hook func(ctx context.Context, n int) error) {
	s.mu.Lock()
	s.dialHook = hook
	s.mu.Unlock()
}

// ClientWriteStarted returns a channel closed when a client connection
// made by Dial starts a write of at least n bytes: from then on, that
// writer is inside the write.
func (s *Server) ClientWriteStarted(n int) <-chan struct{} {
	started := make(chan struct{})
	var once sync.Once
	s.mu.Lock()
	s.writeHook = func(p []byte) {
		if len(p) >= n {
			once.Do(func() { close(started) })
		}
	}
	s.mu.Unlock()
	return started
}

// Accept returns the next connection the server took, in the order they
// were made, failing the test if none comes within testwait.Limit.
func (s *Server) Accept(tb testing.TB) *Conn {
	tb.Helper()
	timer := time.NewTimer(testwait.Limit)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if s.accepted < len(s.conns) {
			c := s.conns[s.accepted]
			s.accepted++
			s.mu.Unlock()
			return c
		}
		added := s.added
		s.mu.Unlock()
		select {
		case <-added:
		case <-timer.C:
			tb.Fatalf("fakeredis: no connection within %v", testwait.Limit)
			return nil
		}
	}
}

// Conns returns every connection so far, in the order they were made.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Conn(nil), s.conns...)
}

// Received returns every command the server has read so far, on every
// connection, in the order they were read.
func (s *Server) Received() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.log...)
}

// CloseConns closes every connection; a listening server goes on
// accepting new ones.
func (s *Server) CloseConns() {
	for _, c := range s.Conns() {
		c.Close()
	}
}

// Close stops the server: it stops listening, closes every connection and
// waits for the server's goroutines (failing the test if they outlive
// testwait.Limit). It runs at the end of the test; a test may call it
// earlier, to check for leaks, say.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.quit)
		if s.l != nil {
			_ = s.l.Close()
		}
		s.CloseConns()
		done := make(chan struct{})
		go func() {
			s.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(testwait.Limit):
			s.tb.Errorf("fakeredis: server goroutines still running %v after Close", testwait.Limit)
		}
	})
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.l.Accept()
		if err != nil {
			return
		}
		if !s.add(nc) {
			return
		}
	}
}

// add starts serving nc; false (nc closed) if the server is closed.
func (s *Server) add(nc net.Conn) bool {
	c := &Conn{
		s:    s,
		nc:   nc,
		cmds: make(chan []string, 4096),
		done: make(chan struct{}),
		gate: closedChan(),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = nc.Close()
		return false
	}
	s.conns = append(s.conns, c)
	// Added under mu, before Close can see closed and wait.
	switch {
	case s.cfg.getReply != nil:
		s.wg.Add(1)
		go s.serveGetSet(c)
	case s.cfg.script != nil:
		s.wg.Add(2)
		go c.read()
		go c.runScript(s.cfg.script)
	default:
		s.wg.Add(1)
		go c.read()
	}
	close(s.added)
	s.added = make(chan struct{})
	s.mu.Unlock()
	return true
}

func (s *Server) record(c *Conn, cmd []string) {
	s.mu.Lock()
	s.log = append(s.log, cmd)
	c.log = append(c.log, cmd)
	s.mu.Unlock()
}

// clientConn is the client's end of a connection made by Dial.
type clientConn struct {
	net.Conn
	s *Server
}

func (c *clientConn) Write(p []byte) (int, error) {
	c.s.mu.Lock()
	hook := c.s.writeHook
	c.s.mu.Unlock()
	if hook != nil {
		hook(p)
	}
	return c.Conn.Write(p)
}

// commandArgs turns a command, an array of bulk strings, into its words.
func commandArgs(v resp.Value) ([]string, error) {
	elems, err := v.Array()
	if err != nil || len(elems) == 0 {
		return nil, fmt.Errorf("command is not a non-empty array: %v", v.Type())
	}
	args := make([]string, len(elems))
	for i, e := range elems {
		if e.Type() != resp.TypeBulkString {
			return nil, fmt.Errorf("argument %d is a %v, not a bulk string", i, e.Type())
		}
		b, _ := e.Bytes()
		args[i] = string(b)
	}
	return args, nil
}

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}
