package manager

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

func TestUnexpectedReplyKillsConnection(t *testing.T) {
	srv := newServer(t)
	redial := make(chan struct{}) // closed: the server accepts again
	srv.SetDialHook(func(ctx context.Context, n int) error {
		select {
		case <-redial:
			return nil
		default:
		}
		if n > 1 {
			return errRefused
		}
		return nil
	})
	m := newManager(t, srv, Config{BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	sc := srv.Accept(t)
	ctx := testContext(t)

	// Keep the writer busy in a large write so GET waits in the queue.
	big := strings.Repeat("x", 256<<10)
	started := srv.ClientWriteStarted(len(big))
	sc.PauseReads()
	set := goDo(ctx, m, "SET", "big", big)
	testwait.WaitFor(t, started, "the writer to block in the large write")
	get := goDo(ctx, m, "GET", "k")
	// GET waits in the queue or in the writer's hands, behind the write.
	testwait.Eventually(t, "GET to be queued", func() bool { return m.Stats().Load == 2 })

	// Answer the only request in flight, then send a reply nobody asked for.
	sc.Reply(t, resp.SimpleString("OK"))
	wantString(t, await(t, set), "OK")
	sc.Reply(t, resp.SimpleString("OK"))

	r := await(t, get)
	var ce *ConnError
	if !errors.As(r.err, &ce) || ce.Addr != testAddr || ce.Cmd != "GET" {
		t.Fatalf("pending GET got %q, %v; want a *ConnError naming GET and %s", str(r.v), r.err, testAddr)
	}
	switch ce.Op {
	case "read": // failed with the session
		if !errors.Is(r.err, errUnexpectedReply) {
			t.Errorf("read error %v, want it caused by the unexpected reply", r.err)
		}
	case "dial": // failed while the manager was down
	default:
		t.Errorf("Op = %q, want read or dial", ce.Op)
	}
	sc.ResumeReads()
	testwait.WaitFor(t, sc.Done(), "the connection to be closed")
	if m.Connected() {
		t.Errorf("Connected() while every redial is refused")
	}

	close(redial)
	sc2 := srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	ping := goDo(ctx, m, "PING")
	sc2.Expect(t, "PING")
	sc2.Reply(t, resp.SimpleString("PONG"))
	wantString(t, await(t, ping), "PONG")
	if st := m.Stats(); st.Failed != 1 || st.Load != 0 {
		t.Errorf("Stats = %+v, want 1 failed, load 0", st)
	}
}

func TestConnErrorNamesCommandAndAddr(t *testing.T) {
	cases := []struct {
		name  string
		call  func(ctx context.Context, m *Manager) <-chan result
		sent  int    // commands the call puts on the wire
		reply string // what the server sends before closing: cut mid-reply
		cmd   string // the command the error must name
	}{{
		name:  "single command",
		call:  func(ctx context.Context, m *Manager) <-chan result { return goDo(ctx, m, "GET", "k") },
		sent:  1,
		reply: "$10\r\nabc",
		cmd:   "GET",
	}, {
		name: "pipeline cut between replies",
		call: func(ctx context.Context, m *Manager) <-chan result {
			return goDoMulti(ctx, m, []string{"SET", "k", "v"}, []string{"GET", "k"})
		},
		sent:  2,
		reply: "+OK\r\n$1",
		cmd:   "SET", // a pipeline is named by its first command
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			m := newManager(t, srv, Config{})
			sc := srv.Accept(t)

			call := tc.call(testContext(t), m)
			for range tc.sent {
				sc.Next(t)
			}
			if err := sc.SendRaw(tc.reply); err != nil {
				t.Fatal(err)
			}
			sc.Close()

			err := await(t, call).err
			var ce *ConnError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *ConnError", err, err)
			}
			if ce.Op != "read" || ce.Addr != testAddr || ce.Cmd != tc.cmd {
				t.Errorf("ConnError{Op: %q, Addr: %q, Cmd: %q}, want read, %s, %s", ce.Op, ce.Addr, ce.Cmd, testAddr, tc.cmd)
			}
			if ce.Unwrap() != io.ErrUnexpectedEOF || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("cause %v, want io.ErrUnexpectedEOF", ce.Unwrap())
			}
			if msg := err.Error(); !strings.Contains(msg, tc.cmd) || !strings.Contains(msg, testAddr) {
				t.Errorf("message %q does not name %s and %s", msg, tc.cmd, testAddr)
			}
			if ce.Timeout() {
				t.Errorf("Timeout() = true for an EOF")
			}

			// The manager reconnects and serves again.
			sc2 := srv.Accept(t)
			testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
			ping := goDo(testContext(t), m, "PING")
			sc2.Expect(t, "PING")
			sc2.Reply(t, resp.SimpleString("PONG"))
			wantString(t, await(t, ping), "PONG")
			if st := m.Stats(); st.Reconnects != 1 || st.Failed != 1 {
				t.Errorf("Stats = %+v, want 1 reconnect, 1 failed", st)
			}
		})
	}
}

func TestDialFailureLeavesNothingRunning(t *testing.T) {
	cases := []struct {
		name    string
		handler func(*fakeredis.Conn, []string) // nil: never answers
		dial    func(ctx context.Context, n int) error
		ctx     func() (context.Context, context.CancelFunc)
		op      string
		check   func(t *testing.T, ce *ConnError)
	}{{
		name: "dial refused",
		dial: func(context.Context, int) error { return errRefused },
		op:   "dial",
		check: func(t *testing.T, ce *ConnError) {
			if !errors.Is(ce, errRefused) {
				t.Errorf("cause %v, want the dial's error", ce.Err)
			}
		},
	}, {
		name: "context already cancelled",
		ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		},
		op: "dial",
		check: func(t *testing.T, ce *ConnError) {
			if !errors.Is(ce, context.Canceled) {
				t.Errorf("cause %v, want context.Canceled", ce.Err)
			}
		},
	}, {
		name:    "server hangs up during the handshake",
		handler: func(sc *fakeredis.Conn, _ []string) { sc.Close() },
		op:      "handshake",
	}, {
		name: "handshake times out",
		op:   "handshake",
		check: func(t *testing.T, ce *ConnError) {
			if !ce.Timeout() {
				t.Errorf("Timeout() = false for %v", ce.Err)
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, fakeredis.WithHandler(tc.handler))
			srv.SetDialHook(tc.dial)
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			m, err := New(ctx, testConfig(Config{
				Addr:        testAddr,
				Dial:        srv.Dial,
				DialTimeout: 100 * time.Millisecond,
				Handshake:   HandshakeCommands(resp.AppendCommandStrings(nil, "HELLO", "3")),
			}))
			if m != nil || err == nil {
				t.Fatalf("New returned a manager: %t, error %v; want only an error", m != nil, err)
			}
			var ce *ConnError
			if !errors.As(err, &ce) || ce.Op != tc.op || ce.Addr != testAddr {
				t.Fatalf("New: %v, want a *ConnError with Op %q naming %s", err, tc.op, testAddr)
			}
			if tc.check != nil {
				tc.check(t, ce)
			}
			if tc.op == "handshake" {
				testwait.WaitFor(t, srv.Accept(t).Done(), "the connection to be closed")
			}
			checkNoManagerGoroutines(t)
		})
	}
}

func TestHandshakeErrorReply(t *testing.T) {
	const password = "s3cret-pw"
	handshake := [][]byte{
		resp.AppendCommandStrings(nil, "AUTH", "user", password),
		resp.AppendCommandStrings(nil, "SELECT", "1"),
	}
	cases := []struct {
		name    string
		reject  string // the command the server rejects
		errMsg  string
		wantPre string
	}{
		{"AUTH rejected", "AUTH", "WRONGPASS invalid username-password pair", "WRONGPASS"},
		{"SELECT rejected", "SELECT", "ERR DB index is out of range", "ERR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, fakeredis.WithHandler(func(sc *fakeredis.Conn, cmd []string) {
				if cmd[0] == tc.reject {
					_ = sc.Send(resp.SimpleError(tc.errMsg))
					return
				}
				_ = sc.Send(fakeredis.Answer(cmd))
			}))
			m, err := New(testContext(t), testConfig(Config{Addr: testAddr, Dial: srv.Dial, Handshake: HandshakeCommands(handshake...)}))
			if m != nil || err == nil {
				t.Fatalf("New returned a manager: %t, error %v; want only an error", m != nil, err)
			}
			var ce *ConnError
			if !errors.As(err, &ce) || ce.Op != "handshake" || ce.Addr != testAddr {
				t.Fatalf("New: %v, want a *ConnError with Op handshake naming %s", err, testAddr)
			}
			var re *resp.Error
			if !errors.As(err, &re) || re.Prefix != tc.wantPre {
				t.Errorf("cause %v, want the server's %s error", ce.Err, tc.wantPre)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.reject) || !strings.Contains(msg, testAddr) {
				t.Errorf("message %q does not name %s and %s", msg, tc.reject, testAddr)
			}
			if strings.Contains(msg, password) {
				t.Errorf("message %q contains the password", msg)
			}
			testwait.WaitFor(t, srv.Accept(t).Done(), "the connection to be closed")
			checkNoManagerGoroutines(t)
		})
	}
}

func TestHandshakeRunsBeforeRequests(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{Handshake: HandshakeCommands(
		resp.AppendCommandStrings(nil, "HELLO", "3"),
		resp.AppendCommandStrings(nil, "CLIENT", "SETNAME", "redmux"),
	)})
	if v, err := m.Do(testContext(t), newCmd("PING")); err != nil || str(v) != "PONG" {
		t.Fatalf("PING: %q, %v", str(v), err)
	}
	var names []string
	for _, cmd := range srv.Received() {
		names = append(names, cmd[0])
	}
	if got := strings.Join(names, " "); got != "HELLO CLIENT PING" {
		t.Errorf("server received %s, want HELLO CLIENT PING", got)
	}
	if st := m.Stats(); st.Written != 1 || st.Completed != 1 {
		t.Errorf("Stats = %+v, want the handshake left out of the counts", st)
	}
}
