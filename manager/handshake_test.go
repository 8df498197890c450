package manager

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Connecting: the dial and the handshake, their failures, and the
// handshake's place before every request.

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
				Handshake:   handshakeCommands(resp.AppendCommandStrings(nil, "HELLO", "3")),
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
			m, err := New(testContext(t), testConfig(Config{Addr: testAddr, Dial: srv.Dial, Handshake: handshakeCommands(handshake...)}))
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
	m := newManager(t, srv, Config{Handshake: handshakeCommands(
		resp.AppendCommandStrings(nil, "HELLO", "3"),
		resp.AppendCommandStrings(nil, "CLIENT", "SETNAME", "redmux"),
	)})
	if v, err := m.do(testContext(t), newCmd("PING")); err != nil || str(v) != "PONG" {
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
