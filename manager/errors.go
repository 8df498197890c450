package manager

import (
	"errors"
	"net"
	"strconv"
)

// ErrClosed is returned for requests made after shutdown began, and for
// requests still unanswered when shutdown gave up waiting for them.
var ErrClosed = errors.New("redmux: client is closed")

// ErrMaybeExecuted matches (with errors.Is) a *ConnError whose request was
// sent before its connection failed: the server may have run it.
var ErrMaybeExecuted = errors.New("redmux: the command was sent before the connection failed: it may have run")

// ConnError reports that a request failed because of its connection: the
// dial, the handshake, a write or a read failed, or the connection was lost
// while the request waited for its reply. Sent tells the two outcomes
// apart: false, the request never reached the connection and did not run;
// true, it was sent and may or may not have run.
type ConnError struct {
	Op   string // "dial", "handshake", "write", "read" or "connect"
	Addr string // the server's address
	Cmd  string // the command that failed, when there is one ("GET")
	Err  error  // the cause
	// Sent reports that the request's bytes were handed to the connection
	// before it failed, so the server may have run it.
	Sent bool
}

func (e *ConnError) Error() string {
	msg := "redmux: "
	if e.Cmd != "" {
		msg += e.Cmd + ": "
	}
	msg += e.Op + " " + e.Addr
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	switch {
	case e.Cmd == "":
	case e.Sent:
		msg += " (sent: it may have run)"
	default:
		msg += " (not sent)"
	}
	return msg
}

// Is matches ErrMaybeExecuted when the request was sent.
func (e *ConnError) Is(target error) bool { return target == ErrMaybeExecuted && e.Sent }

// Unwrap returns the cause.
func (e *ConnError) Unwrap() error { return e.Err }

// Timeout reports whether the cause was a timeout.
func (e *ConnError) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// forCommand returns a copy of e naming the command encoded in cmd, and
// whether it was sent.
func (e *ConnError) forCommand(cmd []byte, sent bool) *ConnError {
	c := *e
	c.Cmd = commandName(cmd)
	c.Sent = sent
	return &c
}

// commandName extracts the first argument of an encoded command
// (`*N\r\n$L\r\nNAME\r\n...`), for error messages. Pipelines are named by
// their first command. It returns "" for anything it cannot parse.
func commandName(cmd []byte) string {
	i := indexCRLF(cmd)
	if i < 0 || len(cmd) < i+3 || cmd[i+2] != '$' {
		return ""
	}
	rest := cmd[i+3:]
	j := indexCRLF(rest)
	if j < 0 {
		return ""
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil || n < 0 || len(rest) < j+2+n {
		return ""
	}
	const maxName = 32
	return string(rest[j+2 : j+2+min(n, maxName)])
}

func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}
