package manager

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/logtest"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// The manager's log records (Config.Logger): which event gives which
// record, at which level, with which attributes.

// wantRecord checks a record's level and the attributes given, compared
// as their Go values, and returns it.
func wantRecord(t *testing.T, rec logtest.Record, level slog.Level, attrs map[string]any) logtest.Record {
	t.Helper()
	if rec.Level != level {
		t.Errorf("%q at %v, want %v", rec.Message, rec.Level, level)
	}
	for k, want := range attrs {
		v, ok := rec.Attrs[k]
		if !ok {
			t.Errorf("%q has no attribute %q: %s", rec.Message, k, rec.Text)
			continue
		}
		if got := v.Any(); got != want {
			t.Errorf("%q: %s = %v, want %v", rec.Message, k, got, want)
		}
	}
	return rec
}

// TestLogConnectLossAndReconnect: the first connection is logged at Info;
// a lost one at Warn with its cause; the reconnect once, at Info, with the
// same cause (what ended the connection), the attempts and the downtime.
func TestLogConnectLossAndReconnect(t *testing.T) {
	rec, logger := logtest.New()
	srv := newEchoServer(t)
	m := newFaultManager(t, srv, Config{Logger: logger})
	wantRecord(t, rec.WaitFor(t, msgConnected, 1)[0], slog.LevelInfo, map[string]any{"addr": testAddr})

	srv.Accept(t).Close()
	srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })
	wantString(t, await(t, goDo(testContext(t), m, "ECHO", "up")), "up")

	lost := rec.Find(msgLost)
	if len(lost) != 1 {
		t.Fatalf("%d %q records, want 1", len(lost), msgLost)
	}
	cause := wantRecord(t, lost[0], slog.LevelWarn, map[string]any{"addr": testAddr}).Err("cause")
	var ce *ConnError
	if !errors.As(cause, &ce) || ce.Op != "read" || !errors.Is(cause, io.EOF) {
		t.Errorf("lost: cause %v, want the read's *ConnError wrapping io.EOF", cause)
	}
	back := rec.Find(msgReconnected)
	if len(back) != 1 {
		t.Fatalf("%d %q records, want 1", len(back), msgReconnected)
	}
	r := wantRecord(t, back[0], slog.LevelInfo, map[string]any{"addr": testAddr, "attempts": int64(1)})
	if r.Err("cause") != cause {
		t.Errorf("reconnected: cause %v, want the loss's %v", r.Err("cause"), cause)
	}
	if d := r.Attrs["downtime"].Duration(); d <= 0 {
		t.Errorf("downtime %v, want positive", d)
	}
	if n := rec.Count(msgAttemptFailed) + rec.Count(msgStalled) + rec.Count(msgHandshakeFailed); n != 0 {
		t.Errorf("%d records of failures that did not happen: %v", n, rec.Records())
	}
}

// TestLogFailedReconnectAttemptsWithBackoff: each refused redial is a Warn
// naming its attempt, its error and the wait drawn before the next one,
// which doubles from BackoffMin up to BackoffMax; the reconnect that
// follows counts every attempt and carries the cause that ended the
// connection, not the last refusal.
func TestLogFailedReconnectAttemptsWithBackoff(t *testing.T) {
	const lo, hi, refusals = 2 * time.Millisecond, 4 * time.Millisecond, 3
	rec, logger := logtest.New()
	srv := newEchoServer(t)
	srv.SetDialHook(func(_ context.Context, n int) error {
		if n > 1 && n <= 1+refusals {
			return errRefused
		}
		return nil
	})
	m := newFaultManager(t, srv, Config{Logger: logger, BackoffMin: lo, BackoffMax: hi})
	srv.Accept(t).Close()
	srv.Accept(t)
	testwait.Eventually(t, "the reconnect", func() bool { return m.Stats().Reconnects == 1 })

	failed := rec.Find(msgAttemptFailed)
	if len(failed) != refusals {
		t.Fatalf("%d %q records, want %d", len(failed), msgAttemptFailed, refusals)
	}
	for i, r := range failed {
		wantRecord(t, r, slog.LevelWarn, map[string]any{"addr": testAddr, "attempt": int64(i + 1)})
		if err := r.Err("cause"); !errors.Is(err, errRefused) {
			t.Errorf("attempt %d: cause %v, want the dial's refusal", i+1, err)
		}
		d := min(lo<<i, hi) // the backoff; the wait is drawn from its upper half
		if b := r.Attrs["backoff"].Duration(); b < d/2 || b > d {
			t.Errorf("attempt %d: backoff %v, want within [%v, %v]", i+1, b, d/2, d)
		}
	}
	back := rec.Find(msgReconnected)
	if len(back) != 1 {
		t.Fatalf("%d %q records, want 1", len(back), msgReconnected)
	}
	wantRecord(t, back[0], slog.LevelInfo, map[string]any{"attempts": int64(refusals + 1)})
	if err := back[0].Err("cause"); !errors.Is(err, io.EOF) {
		t.Errorf("reconnected: cause %v, want the loss (io.EOF), not a refusal", err)
	}
}

// TestLogStallDetected: a server that never answers is logged at Warn
// when the stall detector gives up on it, before the connection is lost
// with ErrStalled: the address, how long it received nothing (at least
// StallTimeout), the requests in flight and the two timeouts.
func TestLogStallDetected(t *testing.T) {
	const stall, ping = 40 * time.Millisecond, 20 * time.Millisecond
	rec, logger := logtest.New()
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{Logger: logger, StallTimeout: stall, PingTimeout: ping})
	sc := srv.Accept(t)
	get := goDo(context.Background(), m, "GET", "a")
	sc.Expect(t, "GET", "a")
	sc.Expect(t, "PING") // the probe, never answered
	wantErr(t, await(t, get), ErrStalled)
	testwait.Eventually(t, "the connection's loss to be logged", func() bool { return rec.Count(msgLost) == 1 })

	stalled := rec.Find(msgStalled)
	if len(stalled) != 1 {
		t.Fatalf("%d %q records, want 1", len(stalled), msgStalled)
	}
	r := wantRecord(t, stalled[0], slog.LevelWarn, map[string]any{
		"addr": testAddr, "in_flight": int64(2), "stall_timeout": stall, "ping_timeout": ping,
	})
	if q := r.Attrs["quiet"].Duration(); q < stall {
		t.Errorf("quiet %v, want at least StallTimeout %v", q, stall)
	}
	msgs := []string{}
	for _, r := range rec.Records() {
		msgs = append(msgs, r.Message)
	}
	if got := strings.Join(msgs, " | "); !strings.HasPrefix(got, msgConnected+" | "+msgStalled+" | "+msgLost) {
		t.Errorf("records %s; want connected, stall detected, connection lost", got)
	}
	if cause := rec.Find(msgLost)[0].Err("cause"); !errors.Is(cause, ErrStalled) {
		t.Errorf("lost: cause %v, want ErrStalled", cause)
	}
}

// TestLogHandshakeFailure: a handshake refused is logged at Warn with the
// address and the *ConnError, for a manager and for a dedicated
// connection alike; a dial that fails before any handshake is not.
func TestLogHandshakeFailure(t *testing.T) {
	rec, logger := logtest.New()
	srv := newServer(t, fakeredis.WithHandler(func(c *fakeredis.Conn, _ []string) {
		_ = c.Send(resp.SimpleError("WRONGPASS invalid username-password pair"))
	}))
	cfg := testConfig(Config{Addr: testAddr, Dial: srv.Dial, Logger: logger,
		Handshake: handshakeCommands(resp.AppendCommandStrings(nil, "AUTH", "pw"))})
	if _, err := New(testContext(t), cfg); err == nil {
		t.Fatal("New succeeded with its handshake refused")
	}
	if _, err := Dial(testContext(t), cfg); err == nil {
		t.Fatal("Dial succeeded with its handshake refused")
	}
	failed := rec.Find(msgHandshakeFailed)
	if len(failed) != 2 {
		t.Fatalf("%d %q records, want 2 (New, Dial): %v", len(failed), msgHandshakeFailed, rec.Records())
	}
	for _, r := range failed {
		wantRecord(t, r, slog.LevelWarn, map[string]any{"addr": testAddr})
		var ce *ConnError
		if err := r.Err("cause"); !errors.As(err, &ce) || ce.Op != "handshake" || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Errorf("cause %v, want the handshake's *ConnError with the server's reason", err)
		}
	}

	srv.SetDialHook(func(context.Context, int) error { return errRefused })
	if _, err := New(testContext(t), cfg); !errors.Is(err, errRefused) {
		t.Fatalf("New: %v, want the dial's refusal", err)
	}
	if n := len(rec.Records()); n != 2 {
		t.Errorf("%d records after a refused dial, want still 2: %v", n, rec.Records())
	}
}
