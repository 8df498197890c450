package manager

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// The harness of the manager's tests: a fake server over net.Pipe
// (internal/fakeredis), managers dialing it, and calls run on goroutines of
// their own so that the test can script the server meanwhile.

// testAddr is the address every test manager "dials": the fake server's
// Dial ignores it, but errors must name it.
const testAddr = "fake-redis:6379"

// waitLimit bounds every wait in these tests: a wait that reaches it is a
// hang, and fails the test instead of blocking the run.
const waitLimit = testwait.Limit

// errRefused is what a fake dial returns when a test refuses it.
var errRefused = errors.New("fake dial refused")

// newServer starts a fake server reached over net.Pipe through its Dial
// (fakeredis.StartPipe). Without options it is in manual mode: the test
// takes each command with Next or Expect and answers it itself. Its
// cleanup, which runs after the cleanups of managers created later, closes
// every connection and checks that no goroutine of the package is left
// running.
func newServer(t *testing.T, opts ...fakeredis.Option) *fakeredis.Server {
	t.Helper()
	t.Cleanup(func() { checkNoManagerGoroutines(t) }) // after the server's own cleanup
	return fakeredis.StartPipe(t, opts...)
}

// newEchoServer is newServer answering every command with fakeredis.Answer.
func newEchoServer(t *testing.T) *fakeredis.Server {
	t.Helper()
	return newServer(t, fakeredis.WithHandler(fakeredis.Echo))
}

// newManager starts a manager on srv. Its cleanup shuts it down and waits
// for its goroutines.
func newManager(t *testing.T, srv *fakeredis.Server, cfg Config) *Manager {
	t.Helper()
	cfg.Addr, cfg.Dial = testAddr, srv.Dial
	m, err := New(testContext(t), testConfig(cfg))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		m.Shutdown(time.Now())
		select {
		case <-m.Done():
		case <-time.After(waitLimit):
			t.Errorf("manager still running %v after Shutdown", waitLimit)
			srv.CloseConns() // unblock a stuck writer so later tests run clean
			testwait.WaitFor(t, m.Done(), "the manager to stop after its connections closed")
		}
	})
	return m
}

// newFaultManager is newManager except for its cleanup, which shuts the
// manager down with a deadline in the future instead of time.Now(), for
// tests that reconnect: Shutdown(time.Now()) after a reconnect once made
// the writer reconnect during shutdown (TestRegressionShutdownAtDeadlineReconnects).
// Nothing is in flight when these tests end, so the shutdown still
// completes at once.
func newFaultManager(t *testing.T, srv *fakeredis.Server, cfg Config) *Manager {
	t.Helper()
	cfg.Addr, cfg.Dial = testAddr, srv.Dial
	m, err := New(testContext(t), testConfig(cfg))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		m.Shutdown(time.Now().Add(waitLimit))
		testwait.WaitFor(t, m.Done(), "the manager to stop")
	})
	return m
}

// testContext is a context that ends with the test, or after waitLimit.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// newCmd encodes one command into a request.
func newCmd(args ...string) *Request {
	r := NewRequest()
	r.Cmd = resp.AppendCommandStrings(r.Cmd, args...)
	return r
}

// newPipeline encodes cmds back to back into one request expecting one
// reply per command.
func newPipeline(cmds ...[]string) *Request {
	r := NewRequest()
	for _, c := range cmds {
		r.Cmd = resp.AppendCommandStrings(r.Cmd, c...)
	}
	r.Replies = len(cmds)
	return r
}

type result struct {
	v   resp.Value
	vs  []resp.Value
	err error
}

// goDo runs m.Do on its own goroutine; the result arrives on the channel.
func goDo(ctx context.Context, m *Manager, args ...string) <-chan result {
	ch := make(chan result, 1)
	req := newCmd(args...)
	go func() {
		v, err := m.do(ctx, req)
		ch <- result{v: v, err: err}
	}()
	return ch
}

// goDoMulti runs m.DoMulti on its own goroutine.
func goDoMulti(ctx context.Context, m *Manager, cmds ...[]string) <-chan result {
	ch := make(chan result, 1)
	req := newPipeline(cmds...)
	go func() {
		vs, err := m.doMulti(ctx, req)
		ch <- result{vs: vs, err: err}
	}()
	return ch
}

// await returns the result on ch, failing the test if none comes in time.
func await(t *testing.T, ch <-chan result) result {
	t.Helper()
	return testwait.WaitFor(t, ch, "the call to return")
}

// notDone checks that ch has no result yet.
func notDone(t *testing.T, ch <-chan result, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s returned early: %v, %v", what, r.v, r.err)
	default:
	}
}

// wantString checks that r succeeded with a string reply equal to want.
func wantString(t *testing.T, r result, want string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("got error %v, want reply %q", r.err, want)
	}
	if got := str(r.v); got != want {
		t.Fatalf("got reply %q, want %q", got, want)
	}
}

// wantErr checks that r failed with an error matching want (errors.Is).
func wantErr(t *testing.T, r result, want error) {
	t.Helper()
	if !errors.Is(r.err, want) {
		t.Fatalf("got %v, %v; want error %v", str(r.v), r.err, want)
	}
}

// wantConnError checks that r failed with a *ConnError with the given Op,
// naming testAddr and cmd, and returns it.
func wantConnError(t *testing.T, r result, op, cmd string) *ConnError {
	t.Helper()
	var ce *ConnError
	if !errors.As(r.err, &ce) {
		t.Fatalf("got %q, %v (%T); want a *ConnError", str(r.v), r.err, r.err)
	}
	if ce.Op != op || ce.Addr != testAddr || ce.Cmd != cmd {
		t.Fatalf("ConnError{Op: %q, Addr: %q, Cmd: %q} (%v), want Op %q, Addr %q, Cmd %q",
			ce.Op, ce.Addr, ce.Cmd, ce, op, testAddr, cmd)
	}
	return ce
}

// str returns the text of a string reply, or a description of v.
func str(v resp.Value) string {
	if s, err := v.Text(); err == nil {
		return s
	}
	return fmt.Sprintf("<%v>", v)
}

func bulk(s string) resp.Value { return resp.BulkString([]byte(s)) }

// commandNames returns the log of a fake server as "NAME arg ..." lines.
func commandNames(log [][]string) []string {
	out := make([]string, len(log))
	for i, cmd := range log {
		out[i] = strings.Join(fakeredis.ClipArgs(cmd), " ")
	}
	return out
}

// checkNoManagerGoroutines fails the test if a goroutine of the manager
// (writer, reader, or a caller stuck in Do) is still running once the
// exiting ones have had waitLimit to finish.
func checkNoManagerGoroutines(t *testing.T) {
	t.Helper()
	var left []string
	if !testwait.Until(waitLimit, func() bool { left = managerGoroutines(); return len(left) == 0 }) {
		t.Errorf("%d goroutine(s) of package manager still running:\n\n%s",
			len(left), strings.Join(left, "\n\n"))
	}
}

// packageFrame matches a stack frame's file line in a source file of this
// package; test files are told apart by their name.
var packageFrame = regexp.MustCompile(`/manager/([A-Za-z0-9_]+)\.go:\d+`)

// managerGoroutines returns the stacks of goroutines running code of the
// package's own (non-test) files.
func managerGoroutines() []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, f := range packageFrame.FindAllStringSubmatch(g, -1) {
			if !strings.HasSuffix(f[1], "_test") {
				left = append(left, g)
				break
			}
		}
	}
	return left
}
