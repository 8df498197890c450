package fakeredis

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"testing"
)

// GetSet starts a server on 127.0.0.1:0 for benchmarks and allocation
// counts: it answers GET with value, SET with +OK, PING with +PONG and
// anything else with an error, without allocating per command, so that
// what a benchmark counts is the client's alone. It keeps no record of
// what it receives (Received stays empty), and answers a pipeline the way
// Redis does: its replies are flushed once no more input is buffered.
func GetSet(tb testing.TB, value []byte) *Server {
	tb.Helper()
	reply := append([]byte("$"+strconv.Itoa(len(value))+"\r\n"), value...)
	reply = append(reply, '\r', '\n')
	return Start(tb, func(c *config) { c.getReply = reply })
}

var errSyntax = errors.New("fakeredis: malformed command")

// serveGetSet serves c for GetSet. Its buffers are allocated once per
// connection; the loop allocates nothing.
func (s *Server) serveGetSet(c *Conn) {
	defer s.wg.Done()
	defer close(c.done)
	defer c.Close()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	w := bufio.NewWriterSize(c.nc, 64<<10)
	var name [8]byte
	for {
		n, err := readCommandName(r, name[:])
		if err != nil {
			return
		}
		switch string(name[:n]) {
		case "GET", "get":
			_, _ = w.Write(s.cfg.getReply)
		case "SET", "set":
			_, _ = w.WriteString("+OK\r\n")
		case "PING", "ping":
			_, _ = w.WriteString("+PONG\r\n")
		default:
			// As a server without the command says it: HELLO gets this too,
			// so the client falls back to RESP2.
			_, _ = w.WriteString("-ERR unknown command (fakeredis.GetSet knows only GET, SET and PING)\r\n")
		}
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

// readCommandName reads one array of bulk strings, copying the first into
// name (truncated) and discarding the rest. It returns the name's length.
func readCommandName(r *bufio.Reader, name []byte) (int, error) {
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
