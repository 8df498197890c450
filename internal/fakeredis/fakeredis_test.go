package fakeredis

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// client is the test's end of a connection: commands out, values back.
type client struct {
	nc net.Conn
	rd *resp.Reader
}

func dialClient(t *testing.T, s *Server) *client {
	t.Helper()
	nc, err := s.Dial(context.Background(), "tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &client{nc: nc, rd: resp.NewReader(nc)}
}

func (c *client) send(t *testing.T, args ...string) {
	t.Helper()
	if _, err := c.nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
		t.Fatal(err)
	}
}

func (c *client) read(t *testing.T) string {
	t.Helper()
	v, err := c.rd.ReadValue()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Err(); err != nil {
		return err.Error()
	}
	s, err := v.Text()
	if err != nil {
		t.Fatalf("reply is a %v", v.Type())
	}
	return s
}

// goSend sends from a goroutine: over net.Pipe a write waits for the
// server to read it.
func (c *client) goSend(args ...string) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := c.nc.Write(resp.AppendCommandStrings(nil, args...))
		ch <- err
	}()
	return ch
}

// goRead reads one reply on a goroutine: over net.Pipe a server's write
// waits for the client to read it.
func (c *client) goRead(t *testing.T) <-chan string {
	ch := make(chan string, 1)
	go func() {
		v, err := c.rd.ReadValue()
		s, _ := v.Text()
		if err != nil {
			s = "error: " + err.Error()
		}
		ch <- s
	}()
	return ch
}

func TestManualModeOverPipeAndTCP(t *testing.T) {
	for _, start := range []func(testing.TB, ...Option) *Server{StartPipe, Start} {
		s := start(t)
		c := dialClient(t, s)
		sent := c.goSend("GET", "k")
		conn := s.Accept(t)
		reply := c.goRead(t)
		conn.Expect(t, "GET", "k").Reply(resp.BulkString([]byte("v")))
		if err := testwait.WaitFor(t, sent, "the write"); err != nil {
			t.Fatal(err)
		}
		if got := testwait.WaitFor(t, reply, "the reply"); got != "v" {
			t.Fatalf("got %q, want v", got)
		}
		if got := s.Received(); len(got) != 1 || strings.Join(got[0], " ") != "GET k" {
			t.Fatalf("Received = %q", got)
		}
		c.goSend("GET", "cut")
		all := make(chan []byte, 1)
		go func() {
			buf, _ := io.ReadAll(c.nc)
			all <- buf
		}()
		conn.Expect(t, "GET", "cut").ReplyRaw("$10\r\nabc").Close()
		if buf := testwait.WaitFor(t, all, "the cut"); string(buf) != "$10\r\nabc" {
			t.Fatalf("read %q before the cut", buf)
		}
		testwait.WaitFor(t, conn.Done(), "the server to stop reading")
	}
}

func TestHandlerHandshakeAndAutoReply(t *testing.T) {
	s := Serve(t, Echo, AnswerHandshake())
	c := dialClient(t, s)
	c.send(t, "AUTH", "pw")
	c.send(t, "PING")
	c.send(t, "PING")
	c.send(t, "ECHO", "hi")
	for _, want := range []string{"OK", "PONG", "PONG", "hi"} {
		if got := c.read(t); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if n := len(s.Accept(t).Received()); n != 4 {
		t.Fatalf("the connection recorded %d commands, want 4", n)
	}

	a := StartPipe(t, AutoReply(SetupCommands))
	c = dialClient(t, a)
	c.goSend("CLIENT", "SETNAME", "x")
	if got := c.read(t); got != "OK" {
		t.Fatalf("CLIENT SETNAME: %q", got)
	}
	c.goSend("GET", "k")
	reply := c.goRead(t)
	a.Accept(t).Expect(t, "GET", "k").Reply(resp.SimpleString("manual"))
	if got := testwait.WaitFor(t, reply, "the reply"); got != "manual" {
		t.Fatalf("GET: %q", got)
	}
}

func TestHostileScript(t *testing.T) {
	received, release := make(chan struct{}), make(chan struct{})
	s := Hostile(t, Misbehavior{Reply: "?garbage\r\n", Cut: true, Received: received, Release: release}, AnswerHandshake())
	c := dialClient(t, s)
	c.send(t, "PING")
	if got := c.read(t); got != "PONG" {
		t.Fatalf("handshake: %q", got)
	}
	c.send(t, "GET", "k")
	testwait.WaitFor(t, received, "the script to read GET")
	close(release)
	buf, _ := io.ReadAll(c.nc)
	if string(buf) != "?garbage\r\n" {
		t.Fatalf("read %q", buf)
	}
}

func TestDialHookWriteHookAndPause(t *testing.T) {
	s := StartPipe(t)
	refused := errors.New("refused")
	s.SetDialHook(func(_ context.Context, n int) error {
		if n == 1 {
			return refused
		}
		return nil
	})
	if _, err := s.Dial(context.Background(), "tcp", s.Addr()); !errors.Is(err, refused) {
		t.Fatalf("first dial: %v, want the hook's error", err)
	}
	c := dialClient(t, s)
	conn := s.Accept(t)
	conn.PauseReads()
	big := strings.Repeat("x", 1<<16)
	started := s.ClientWriteStarted(len(big))
	sent := c.goSend("SET", "k", big)
	testwait.WaitFor(t, started, "the big write to start")
	select {
	case err := <-sent:
		t.Fatalf("the write finished (%v) while reads were paused", err)
	default:
	}
	conn.ResumeReads()
	conn.Expect(t, "SET", "k", big)
	testwait.WaitFor(t, sent, "the write to finish")
	if s.Dials() != 2 {
		t.Fatalf("Dials() = %d, want 2", s.Dials())
	}
}

func TestSilentAndPong(t *testing.T) {
	p := dialClient(t, Pong(t))
	p.send(t, "GET", "k")
	if got := p.read(t); got != "PONG" {
		t.Fatalf("Pong: %q", got)
	}
	s := Silent(t, AnswerHandshake())
	c := dialClient(t, s)
	c.send(t, "PING")
	if got := c.read(t); got != "PONG" {
		t.Fatalf("handshake: %q", got)
	}
	c.send(t, "GET", "k")
	testwait.Eventually(t, "GET to be read", func() bool { return len(s.Received()) == 2 })
}

func TestGetSet(t *testing.T) {
	s := GetSet(t, []byte("value"))
	c := dialClient(t, s)
	w := bufio.NewWriter(c.nc)
	for _, cmd := range [][]string{{"SET", "k", "v"}, {"GET", "k"}, {"PING"}, {"DEL", "k"}} {
		_, _ = w.Write(resp.AppendCommandStrings(nil, cmd...))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"OK", "value", "PONG", "ERR unknown command (fakeredis.GetSet knows only GET, SET and PING)"} {
		if got := c.read(t); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
