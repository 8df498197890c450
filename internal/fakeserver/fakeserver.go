// Package fakeserver is a minimal in-process Redis stand-in for benchmarks:
// it answers GET with a fixed value, SET with +OK and PING with +PONG, and
// anything else with an error, without allocating per command, so that a
// benchmark's allocation count is the client's alone.
package fakeserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
)

// Server listens on 127.0.0.1 and serves each connection on a goroutine.
type Server struct {
	Addr string

	l        net.Listener
	getReply []byte
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

// Start listens on a free loopback port. GET replies carry value.
func Start(value []byte) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	reply := append([]byte("$"+strconv.Itoa(len(value))+"\r\n"), value...)
	s := &Server{Addr: l.Addr().String(), l: l, getReply: append(reply, '\r', '\n'), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Close stops listening, closes every connection and waits for their
// goroutines.
func (s *Server) Close() {
	_ = s.l.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

var errSyntax = errors.New("fakeserver: malformed command")

// serve reads commands and queues replies, flushing when no more input is
// buffered, the way Redis answers a pipeline.
func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 64<<10)
	var name [8]byte
	for {
		n, err := readCommand(r, name[:])
		if err != nil {
			return
		}
		switch string(name[:n]) {
		case "GET", "get":
			_, _ = w.Write(s.getReply)
		case "SET", "set":
			_, _ = w.WriteString("+OK\r\n")
		case "PING", "ping":
			_, _ = w.WriteString("+PONG\r\n")
		default:
			_, _ = w.WriteString("-ERR fakeserver knows only GET, SET and PING\r\n")
		}
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

// readCommand reads one array of bulk strings, copying the first into name
// (truncated) and discarding the rest. It returns the name's length.
func readCommand(r *bufio.Reader, name []byte) (int, error) {
	argc, err := readHeader(r, '*')
	if err != nil {
		return 0, err
	}
	n := 0
	for i := 0; i < argc; i++ {
		size, err := readHeader(r, '$')
		if err != nil {
			return 0, err
		}
		if i == 0 {
			n = min(size, len(name))
			if _, err := io.ReadFull(r, name[:n]); err != nil {
				return 0, err
			}
			size -= n
		}
		if _, err := r.Discard(size + 2); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// readHeader reads "<prefix><decimal>\r\n".
func readHeader(r *bufio.Reader, prefix byte) (int, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != prefix {
		return 0, errSyntax
	}
	n := 0
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		if b == '\r' {
			if _, err := r.ReadByte(); err != nil {
				return 0, err
			}
			return n, nil
		}
		if b < '0' || b > '9' {
			return 0, errSyntax
		}
		n = n*10 + int(b-'0')
	}
}
