package manager

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// What a failed request reports: a *ConnError naming the operation, the
// address and the command, and whether the request was sent.

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
			sc2.Expect(t, "PING").Reply(resp.SimpleString("PONG"))
			wantString(t, await(t, ping), "PONG")
			if st := m.Stats(); st.Reconnects != 1 || st.Failed != 1 {
				t.Errorf("Stats = %+v, want 1 reconnect, 1 failed", st)
			}
		})
	}
}

// TestUnwrittenFIFOEntriesFailAsNotSent: an entry whose batch was never
// handed to a write when its session died fails as not sent; one that was
// written fails as sent.
func TestUnwrittenFIFOEntriesFailAsNotSent(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{})
	sc := srv.Accept(t)
	ctx := testContext(t)
	sent := goDo(ctx, m, "GET", "written")
	sc.Expect(t, "GET", "written")

	s := m.current.Load()
	m.writeMu.Lock()
	req := newCmd("GET", "unwritten")
	req.send("Send") // what Send does before it enqueues
	req.ctxDone = ctx.Done()
	m.load.Add(1)
	done := make(chan result, 1)
	go func() {
		done <- result{err: func() error { wait(ctx, req); _, err := req.Result(); req.Release(); return err }()}
	}()
	_ = m.appendRequest(s, nil, req) // in the FIFO, never flushed
	s.kill(&ConnError{Op: "read", Addr: testAddr, Err: errors.New("killed by the test")})
	m.writeMu.Unlock()

	var ce *ConnError
	if r := await(t, sent); !errors.As(r.err, &ce) || !ce.Sent {
		t.Errorf("written GET: %v; want a *ConnError marked sent", r.err)
	}
	if r := await(t, done); !errors.As(r.err, &ce) || ce.Sent {
		t.Errorf("unwritten GET: %v; want a *ConnError marked not sent", r.err)
	}
}
