package fakeredis

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Conn is the server's end of one connection.
type Conn struct {
	s    *Server
	nc   net.Conn
	cmds chan []string // commands waiting for the test or the script
	done chan struct{} // closed when reading ends (the client closed, say)
	wmu  sync.Mutex    // one write at a time
	log  [][]string    // under s.mu

	handshook bool // read goroutine only

	gmu    sync.Mutex
	gate   chan struct{} // closed while reads are allowed
	paused bool
}

// read reads commands until the connection ends, and serves each: the
// handshake and auto-replies first, then the handler, else the test or
// script takes it from cmds.
func (c *Conn) read() {
	defer c.s.wg.Done()
	defer close(c.done)
	cfg := &c.s.cfg
	rd := resp.NewReader(gatedReader{c})
	for {
		v, err := rd.ReadValue()
		if err != nil {
			return
		}
		cmd, err := commandArgs(v)
		if err != nil {
			c.s.tb.Errorf("fakeredis: %v", err)
			return
		}
		c.s.record(c, cmd)
		if cfg.handshake && !c.handshook {
			_ = c.SendRaw(handshakeReply(cmd, &c.handshook))
			continue
		}
		if cfg.auto != nil {
			if v, ok := cfg.auto(cmd); ok {
				_ = c.Send(v)
				continue
			}
		}
		if cfg.handler != nil {
			cfg.handler(c, cmd)
			continue
		}
		select {
		case c.cmds <- cmd:
		case <-c.s.quit:
			return
		}
	}
}

// handshakeReply is the reply to a command of the root package's
// handshake, as a server from before Redis 6 gives it: HELLO is unknown,
// so the client falls back to RESP2 and ends with a PING, which ends the
// handshake here too.
func handshakeReply(cmd []string, ended *bool) string {
	switch {
	case strings.EqualFold(cmd[0], "HELLO"):
		return "-ERR unknown command 'HELLO', with args beginning with: \r\n"
	case strings.EqualFold(cmd[0], "PING"):
		*ended = true
		return "+PONG\r\n"
	}
	return "+OK\r\n"
}

func (c *Conn) runScript(script Script) {
	defer c.s.wg.Done()
	defer c.Close()
	script(c)
}

// gatedReader reads the connection while the gate is open.
type gatedReader struct{ c *Conn }

func (g gatedReader) Read(p []byte) (int, error) {
	g.c.gmu.Lock()
	gate := g.c.gate
	g.c.gmu.Unlock()
	select {
	case <-gate:
	case <-g.c.s.quit:
		return 0, io.EOF
	}
	return g.c.nc.Read(p)
}

// PauseReads makes the server stop reading the connection (after the read
// in progress), so that the client's writes block once the buffers
// between them are full: at once over net.Pipe.
func (c *Conn) PauseReads() {
	c.gmu.Lock()
	defer c.gmu.Unlock()
	if !c.paused {
		c.paused, c.gate = true, make(chan struct{})
	}
}

// ResumeReads undoes PauseReads.
func (c *Conn) ResumeReads() {
	c.gmu.Lock()
	defer c.gmu.Unlock()
	if c.paused {
		c.paused = false
		close(c.gate)
	}
}

// Command returns the next command received on c, for a script. It fails
// with io.EOF once reading has ended and every command read was taken, and
// with ErrClosed once the server is closed.
func (c *Conn) Command() ([]string, error) {
	select {
	case cmd := <-c.cmds:
		return cmd, nil
	case <-c.done:
		select {
		case cmd := <-c.cmds:
			return cmd, nil
		default:
			return nil, io.EOF
		}
	case <-c.s.quit:
		return nil, ErrClosed
	}
}

// Next returns the next command received on c (manual mode), failing the
// test if none comes within testwait.Limit or the connection ends first.
func (c *Conn) Next(tb testing.TB) []string {
	tb.Helper()
	timer := time.NewTimer(testwait.Limit)
	defer timer.Stop()
	select {
	case cmd := <-c.cmds:
		return cmd
	case <-c.done:
		select {
		case cmd := <-c.cmds:
			return cmd
		default:
		}
		tb.Fatalf("fakeredis: the connection ended before the next command")
	case <-timer.C:
		tb.Fatalf("fakeredis: no command within %v", testwait.Limit)
	}
	return nil
}

// Expect takes the next command and fails the test unless it is want. The
// Exchange it returns answers it.
func (c *Conn) Expect(tb testing.TB, want ...string) Exchange {
	tb.Helper()
	got := c.Next(tb)
	if !equalArgs(got, want) {
		tb.Fatalf("fakeredis: received %q, want %q", ClipArgs(got), ClipArgs(want))
	}
	return Exchange{tb: tb, c: c, Cmd: got}
}

// Exchange is a command the test took, to be answered.
type Exchange struct {
	tb  testing.TB
	c   *Conn
	Cmd []string
}

// Reply sends v, failing the test if it cannot.
func (e Exchange) Reply(v resp.Value) Exchange {
	e.tb.Helper()
	e.c.Reply(e.tb, v)
	return e
}

// ReplyRaw sends raw as it is: garbage, or the start of a reply that Close
// then cuts.
func (e Exchange) ReplyRaw(raw string) Exchange {
	e.tb.Helper()
	if err := e.c.SendRaw(raw); err != nil {
		e.tb.Errorf("fakeredis: sending %q: %v", raw, err)
	}
	return e
}

// Close closes the connection.
func (e Exchange) Close() { e.c.Close() }

// Send writes v to the client; it fails only if the connection is closed.
func (c *Conn) Send(v resp.Value) error {
	return c.write(resp.AppendValue(nil, v))
}

// SendRaw writes raw to the client as it is.
func (c *Conn) SendRaw(raw string) error {
	return c.write([]byte(raw))
}

// write writes b, giving up after testwait.Limit: over net.Pipe a write
// returns only once the client has read it all.
func (c *Conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(testwait.Limit))
	_, err := c.nc.Write(b)
	return err
}

// Reply sends v and fails the test if it cannot.
func (c *Conn) Reply(tb testing.TB, v resp.Value) {
	tb.Helper()
	if err := c.Send(v); err != nil {
		tb.Errorf("fakeredis: sending a %v: %v", v.Type(), err)
	}
}

// Close closes the connection from the server's side.
func (c *Conn) Close() { _ = c.nc.Close() }

// Done is closed once the server stops reading the connection: the client
// closed it, or the server did.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Received returns the commands read on c so far, in order.
func (c *Conn) Received() [][]string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return append([][]string(nil), c.log...)
}

// Drain takes every command without answering, until the connection ends
// or the server closes.
func (c *Conn) Drain() {
	for {
		if _, err := c.Command(); err != nil {
			return
		}
	}
}

// AnswerHandshake plays the server's part of the root package's
// connection handshake, for a script: it answers commands with +OK up to
// the first PING, which it answers with +PONG.
func (c *Conn) AnswerHandshake() error {
	for ended := false; !ended; {
		cmd, err := c.Command()
		if err != nil {
			return err
		}
		if err := c.SendRaw(handshakeReply(cmd, &ended)); err != nil {
			return err
		}
	}
	return nil
}

// Wait waits for ch, for a script; false if the server closes first.
func (c *Conn) Wait(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-c.s.quit:
		return false
	}
}

// Signal sends on ch, for a script; false if the server closes first.
func (c *Conn) Signal(ch chan<- struct{}) bool {
	select {
	case ch <- struct{}{}:
		return true
	case <-c.s.quit:
		return false
	}
}

func equalArgs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ClipArgs shortens long arguments, for messages.
func ClipArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 40 {
			a = fmt.Sprintf("%s...(%d bytes)", a[:20], len(a))
		}
		out[i] = a
	}
	return out
}
