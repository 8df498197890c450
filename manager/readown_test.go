package manager

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Tests of the reader role's hand-over (readrole.go, readown.go): each
// forces one interleaving of a caller reading its own reply with what may
// happen meanwhile. testConfig turns CallerReads on for every manager test;
// these also keep the reader goroutine from taking the role back while the
// connection is idle (readerIdle), so that every call may read its own.

// waitIdle waits until the reader goroutine has let go of the role of the
// manager's current session: the next caller alone reads its own reply.
func waitIdle(t *testing.T, m *Manager) {
	t.Helper()
	testwait.Eventually(t, "the reader goroutine to let go of the role", func() bool {
		s := m.current.Load()
		return s != nil && readRole(s.role.Load()) == roleUnowned
	})
}

// waitReadingOwnReply waits until a caller is inside readOwn: the state
// has no event to wait on.
func waitReadingOwnReply(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	testwait.Eventually(t, "a caller to read its own reply", func() bool {
		n := runtime.Stack(buf, true)
		return strings.Contains(string(buf[:n]), "manager.(*Manager).readOwn")
	})
}

func TestCallerAloneReadsItsOwnReply(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx := testContext(t)
	for _, key := range []string{"a", "b", "c"} {
		waitIdle(t, m)
		got := goDo(ctx, m, "GET", key)
		sc.Expect(t, "GET", key)
		waitReadingOwnReply(t)
		sc.Reply(t, bulk("value-"+key))
		wantString(t, await(t, got), "value-"+key)
	}
}

func TestSecondCallerDuringOwnReadIsAnsweredInOrder(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx := testContext(t)
	waitIdle(t, m)
	first := goDo(ctx, m, "GET", "a")
	sc.Expect(t, "GET", "a")
	waitReadingOwnReply(t)
	second := goDo(ctx, m, "GET", "b") // arrives while the first reads
	sc.Expect(t, "GET", "b")
	third := goDo(ctx, m, "GET", "c")
	sc.Expect(t, "GET", "c")
	sc.Reply(t, bulk("A"))
	wantString(t, await(t, first), "A")
	notDone(t, second, "the second GET")
	sc.Reply(t, bulk("B")) // read by the reader goroutine, given the role back
	sc.Reply(t, bulk("C"))
	wantString(t, await(t, second), "B")
	wantString(t, await(t, third), "C")

	waitIdle(t, m) // alone again: the role comes back to callers
	again := goDo(ctx, m, "GET", "d")
	sc.Expect(t, "GET", "d")
	waitReadingOwnReply(t)
	sc.Reply(t, bulk("D"))
	wantString(t, await(t, again), "D")
}

func TestCancelledDuringOwnReadNeverDesyncs(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx, cancel := context.WithCancel(testContext(t))
	waitIdle(t, m)
	gone := goDo(ctx, m, "GET", "slow")
	sc.Expect(t, "GET", "slow")
	waitReadingOwnReply(t)
	cancel()
	wantErr(t, await(t, gone), context.Canceled) // at once, before its reply
	sc.Reply(t, bulk("late"))                    // read and dropped by the reader goroutine

	next := goDo(testContext(t), m, "GET", "next")
	sc.Expect(t, "GET", "next")
	sc.Reply(t, bulk("mine"))
	wantString(t, await(t, next), "mine")
	if st := m.Stats(); !st.Connected {
		t.Fatal("the cancellation broke the connection")
	}
}

func TestPushDuringOwnReadGoesToOnPush(t *testing.T) {
	srv := newServer(t)
	pushed := make(chan resp.Value, 1)
	m := newManager(t, srv, Config{readerIdle: time.Minute, OnPush: func(v resp.Value) { pushed <- v }})
	sc := srv.Accept(t)
	ctx := testContext(t)
	waitIdle(t, m)
	got := goDo(ctx, m, "GET", "k")
	sc.Expect(t, "GET", "k")
	waitReadingOwnReply(t)
	sc.Reply(t, resp.PushOf(bulk("invalidate"), resp.ArrayOf(bulk("k"))))
	sc.Reply(t, bulk("v"))
	wantString(t, await(t, got), "v")
	if v := testwait.WaitFor(t, pushed, "the push to reach OnPush"); v.Type() != resp.TypePush {
		t.Fatalf("OnPush got %v", v)
	}
}

func TestConnectionKilledDuringOwnRead(t *testing.T) {
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{readerIdle: time.Minute})
	sc := srv.Accept(t)
	ctx := testContext(t)
	waitIdle(t, m)
	got := goDo(ctx, m, "SET", "k", "v")
	sc.Expect(t, "SET", "k", "v")
	waitReadingOwnReply(t)
	sc.Close()
	ce := wantConnError(t, await(t, got), "read", "SET")
	if !ce.Sent {
		t.Errorf("%v: want Sent, the SET was written", ce)
	}
	again := srv.Accept(t) // the manager redials
	testwait.Eventually(t, "the manager to be connected again", m.Connected)
	next := goDo(ctx, m, "GET", "k")
	again.Expect(t, "GET", "k")
	again.Reply(t, bulk("v2"))
	wantString(t, await(t, next), "v2")
}

func TestStallDuringOwnReadIsDetected(t *testing.T) {
	srv := newServer(t)
	m := newFaultManager(t, srv, Config{readerIdle: time.Minute, StallTimeout: 100 * time.Millisecond, PingTimeout: 50 * time.Millisecond})
	sc := srv.Accept(t)
	waitIdle(t, m)
	got := goDo(testContext(t), m, "GET", "k")
	sc.Expect(t, "GET", "k")
	waitReadingOwnReply(t)
	go sc.Drain() // never answers: not the GET, not the PING
	var ce *ConnError
	r := await(t, got)
	if !errors.As(r.err, &ce) || !errors.Is(r.err, ErrStalled) {
		t.Fatalf("got %v, want a *ConnError caused by ErrStalled", r.err)
	}
}
