package fakeredis

import (
	"strings"
	"testing"

	"github.com/redmux/redmux/resp"
)

// Serve starts a request/response server on 127.0.0.1:0 whose handler
// answers every command.
func Serve(tb testing.TB, h Handler, opts ...Option) *Server {
	tb.Helper()
	return Start(tb, append(opts, WithHandler(h))...)
}

// Silent starts a server on 127.0.0.1:0 that accepts connections and
// reads every command but never answers one (except the handshake, with
// AnswerHandshake), so that requests stay in flight for as long as a test
// wants.
func Silent(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return Serve(tb, func(*Conn, []string) {}, opts...)
}

// Pong starts a server on 127.0.0.1:0 that answers every command with
// +PONG.
func Pong(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return Serve(tb, func(c *Conn, _ []string) { _ = c.SendRaw("+PONG\r\n") }, opts...)
}

// Misbehavior is what a hostile server does on each connection: it reads
// one command, reports it on Received, waits for Release, sends Reply
// (garbage, a reply cut short, or nothing when empty), and then closes the
// connection (Cut) or reads on without ever answering. Received and
// Release may be nil.
type Misbehavior struct {
	Reply    string
	Cut      bool
	Received chan<- struct{}
	Release  <-chan struct{}
}

// Script plays m on c.
func (m Misbehavior) Script(c *Conn) {
	if _, err := c.Command(); err != nil {
		return
	}
	if m.Received != nil && !c.Signal(m.Received) {
		return
	}
	if m.Release != nil && !c.Wait(m.Release) {
		return
	}
	if m.Reply != "" && c.SendRaw(m.Reply) != nil {
		return
	}
	if m.Cut {
		return // the connection is closed when the script returns
	}
	c.Drain()
}

// Hostile starts a server on 127.0.0.1:0 that misbehaves as m says on
// every connection. Add AnswerHandshake to let the client connect first.
func Hostile(tb testing.TB, m Misbehavior, opts ...Option) *Server {
	tb.Helper()
	return Start(tb, append(opts, WithScript(m.Script))...)
}

// Answer is a plausible reply to cmd: ECHO returns its argument, PING
// PONG, SET and connection setup commands OK, anything else its own words
// as a bulk string.
func Answer(cmd []string) resp.Value {
	switch strings.ToUpper(cmd[0]) {
	case "ECHO":
		if len(cmd) == 2 {
			return resp.BulkString([]byte(cmd[1]))
		}
	case "PING":
		return resp.SimpleString("PONG")
	case "SET", "HELLO", "AUTH", "SELECT", "CLIENT":
		return resp.SimpleString("OK")
	}
	return resp.BulkString([]byte(strings.Join(cmd, " ")))
}

// Echo is a Handler answering every command at once with Answer.
func Echo(c *Conn, cmd []string) { _ = c.Send(Answer(cmd)) }

// SetupCommands, for AutoReply, answers the commands that set a
// connection up (HELLO, AUTH, SELECT, CLIENT) with OK, as a server would.
func SetupCommands(cmd []string) (resp.Value, bool) {
	switch strings.ToUpper(cmd[0]) {
	case "HELLO", "AUTH", "SELECT", "CLIENT":
		return resp.SimpleString("OK"), true
	}
	return resp.Value{}, false
}
