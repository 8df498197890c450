package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redmux/redmux/resp"
)

// testAddr is the address every test manager "dials": the fake server's
// Dial ignores it, but errors must name it.
const testAddr = "fake-redis:6379"

// waitLimit bounds every wait in these tests: a wait that reaches it is a
// hang, and fails the test instead of blocking the run.
const waitLimit = 10 * time.Second

// errRefused is what a fake dial returns when a test refuses it.
var errRefused = errors.New("fake dial refused")

// fakeServer is a scripted Redis stand-in reached through Config.Dial: every
// dial creates a net.Pipe, and a serverConn serves the far end. Commands are
// read with resp.Reader (arrays of bulk strings) and recorded in arrival
// order. With a handler, each command is answered by it on the read
// goroutine; without one (manual mode) the test takes commands with next
// and answers them itself, so it decides exactly when each reply is sent.
// net.Pipe has no buffer: a server that stops reading stalls the writer.
type fakeServer struct {
	t       *testing.T
	handler func(sc *serverConn, cmd []string) // nil: manual mode
	conns   chan *serverConn                   // every accepted connection
	quit    chan struct{}                      // closed at cleanup
	wg      sync.WaitGroup                     // server goroutines

	mu        sync.Mutex
	all       []*serverConn
	log       [][]string // every command received, in order
	dials     int
	dialHook  func(ctx context.Context, n int) error // n counts dials from 1
	writeHook func(p []byte)                         // runs before each client write
}

// newFakeServer returns a fake server. Its cleanup, which runs after the
// cleanups of managers created later, closes every connection and checks
// that no goroutine of the package is left running.
func newFakeServer(t *testing.T, handler func(*serverConn, []string)) *fakeServer {
	t.Helper()
	fs := &fakeServer{
		t:       t,
		handler: handler,
		conns:   make(chan *serverConn, 64),
		quit:    make(chan struct{}),
	}
	t.Cleanup(func() {
		close(fs.quit)
		fs.closeAll()
		waitFor(t, waitGroupDone(&fs.wg), "fake server goroutines to exit")
		checkNoManagerGoroutines(t)
	})
	return fs
}

// dial is the Config.Dial of managers served by fs.
func (fs *fakeServer) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	fs.mu.Lock()
	fs.dials++
	n, hook := fs.dials, fs.dialHook
	fs.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, n); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, server := net.Pipe()
	sc := &serverConn{
		fs:   fs,
		nc:   server,
		cmds: make(chan []string, 4096),
		done: make(chan struct{}),
		gate: closedChan(),
	}
	fs.mu.Lock()
	fs.all = append(fs.all, sc)
	fs.mu.Unlock()
	fs.wg.Add(1)
	go sc.serve()
	fs.conns <- sc
	return &clientConn{Conn: client, fs: fs}, nil
}

func (fs *fakeServer) setDialHook(h func(ctx context.Context, n int) error) {
	fs.mu.Lock()
	fs.dialHook = h
	fs.mu.Unlock()
}

// bigWriteStarted returns a channel closed when the client starts a write
// of at least n bytes: from then on the writer is inside that write.
func (fs *fakeServer) bigWriteStarted(n int) <-chan struct{} {
	started := make(chan struct{})
	var once sync.Once
	fs.mu.Lock()
	fs.writeHook = func(p []byte) {
		if len(p) >= n {
			once.Do(func() { close(started) })
		}
	}
	fs.mu.Unlock()
	return started
}

// conn returns the next connection the manager opened.
func (fs *fakeServer) conn(t *testing.T) *serverConn {
	t.Helper()
	select {
	case sc := <-fs.conns:
		return sc
	case <-time.After(waitLimit):
		t.Fatalf("no connection to the fake server within %v", waitLimit)
		return nil
	}
}

// received returns every command the server has read so far, in order.
func (fs *fakeServer) received() [][]string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([][]string(nil), fs.log...)
}

func (fs *fakeServer) record(cmd []string) {
	fs.mu.Lock()
	fs.log = append(fs.log, cmd)
	fs.mu.Unlock()
}

func (fs *fakeServer) closeAll() {
	fs.mu.Lock()
	all := fs.all
	fs.mu.Unlock()
	for _, sc := range all {
		sc.close()
	}
}

// serverConn is the server's end of one connection.
type serverConn struct {
	fs   *fakeServer
	nc   net.Conn
	cmds chan []string // manual mode: commands waiting for the test
	done chan struct{} // closed when reading ends (the client closed, say)
	wmu  sync.Mutex    // one reply at a time

	gmu    sync.Mutex
	gate   chan struct{} // closed while reads are allowed
	paused bool
}

func (sc *serverConn) serve() {
	defer sc.fs.wg.Done()
	defer close(sc.done)
	rd := resp.NewReader(gatedReader{sc})
	for {
		v, err := rd.ReadValue()
		if err != nil {
			return
		}
		cmd, err := commandArgs(v)
		if err != nil {
			sc.fs.t.Errorf("fake server: %v", err)
			return
		}
		sc.fs.record(cmd)
		if sc.fs.handler != nil {
			sc.fs.handler(sc, cmd)
			continue
		}
		select {
		case sc.cmds <- cmd:
		case <-sc.fs.quit:
			return
		}
	}
}

// gatedReader reads the connection while the gate is open: pauseReads makes
// the server stop reading (after the read already in progress), so that
// the client's writes block.
type gatedReader struct{ sc *serverConn }

func (g gatedReader) Read(p []byte) (int, error) {
	g.sc.gmu.Lock()
	gate := g.sc.gate
	g.sc.gmu.Unlock()
	select {
	case <-gate:
	case <-g.sc.fs.quit:
		return 0, io.EOF
	}
	return g.sc.nc.Read(p)
}

func (sc *serverConn) pauseReads() {
	sc.gmu.Lock()
	defer sc.gmu.Unlock()
	if !sc.paused {
		sc.paused, sc.gate = true, make(chan struct{})
	}
}

func (sc *serverConn) resumeReads() {
	sc.gmu.Lock()
	defer sc.gmu.Unlock()
	if sc.paused {
		sc.paused = false
		close(sc.gate)
	}
}

// next returns the next command received on this connection (manual mode).
func (sc *serverConn) next(t *testing.T) []string {
	t.Helper()
	select {
	case cmd := <-sc.cmds:
		return cmd
	case <-time.After(waitLimit):
		t.Fatalf("fake server received no command within %v", waitLimit)
		return nil
	}
}

// expect takes the next command and checks it is want.
func (sc *serverConn) expect(t *testing.T, want ...string) {
	t.Helper()
	if got := sc.next(t); !equalArgs(got, want) {
		t.Fatalf("fake server received %q, want %q", clipArgs(got), want)
	}
}

// send writes v to the client; it fails only if the connection is closed.
func (sc *serverConn) send(v resp.Value) error {
	return sc.sendRaw(resp.AppendValue(nil, v))
}

func (sc *serverConn) sendRaw(b []byte) error {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	_, err := sc.nc.Write(b)
	return err
}

// reply sends v and fails the test if it cannot.
func (sc *serverConn) reply(t *testing.T, v resp.Value) {
	t.Helper()
	if err := sc.send(v); err != nil {
		t.Errorf("fake server: sending %v: %v", v.Type(), err)
	}
}

func (sc *serverConn) close() { _ = sc.nc.Close() }

// echo is a handler answering every command at once with answer.
func echo(sc *serverConn, cmd []string) { _ = sc.send(answer(cmd)) }

// answer is the fake server's reply to cmd: ECHO returns its argument,
// PING PONG, SET and handshake commands OK, anything else its own words.
func answer(cmd []string) resp.Value {
	switch strings.ToUpper(cmd[0]) {
	case "ECHO":
		return bulk(cmd[1])
	case "PING":
		return resp.SimpleString("PONG")
	case "SET", "HELLO", "AUTH", "SELECT", "CLIENT":
		return resp.SimpleString("OK")
	}
	return bulk(strings.Join(cmd, " "))
}

func commandArgs(v resp.Value) ([]string, error) {
	elems, err := v.Array()
	if err != nil || len(elems) == 0 {
		return nil, fmt.Errorf("command is not a non-empty array: %v", v.Type())
	}
	args := make([]string, len(elems))
	for i, e := range elems {
		if e.Type() != resp.TypeBulkString {
			return nil, fmt.Errorf("argument %d is a %v, not a bulk string", i, e.Type())
		}
		b, _ := e.Bytes()
		args[i] = string(b)
	}
	return args, nil
}

// clientConn is the manager's end of a fake connection.
type clientConn struct {
	net.Conn
	fs *fakeServer
}

func (c *clientConn) Write(p []byte) (int, error) {
	c.fs.mu.Lock()
	hook := c.fs.writeHook
	c.fs.mu.Unlock()
	if hook != nil {
		hook(p)
	}
	return c.Conn.Write(p)
}

// newManager starts a manager on fs. Its cleanup shuts it down and waits
// for its goroutines.
func newManager(t *testing.T, fs *fakeServer, cfg Config) *Manager {
	t.Helper()
	cfg.Addr, cfg.Dial = testAddr, fs.dial
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
			fs.closeAll() // unblock a stuck writer so later tests run clean
			waitFor(t, m.Done(), "the manager to stop after its connections closed")
		}
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
	select {
	case r := <-ch:
		return r
	case <-time.After(waitLimit):
		t.Fatalf("call still running after %v", waitLimit)
		return result{}
	}
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

// str returns the text of a string reply, or a description of v.
func str(v resp.Value) string {
	if s, err := v.Text(); err == nil {
		return s
	}
	return fmt.Sprintf("<%v>", v)
}

func bulk(s string) resp.Value { return resp.BulkString([]byte(s)) }

// waitFor waits for ch to close (or deliver), failing after waitLimit.
func waitFor[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("still waiting for %s after %v", what, waitLimit)
	}
}

// eventually polls cond until it holds, failing after waitLimit. It is for
// states that have no event to wait on, such as a request sitting in the
// queue.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after %v", what, waitLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitGroupDone(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		wg.Wait()
		close(ch)
	}()
	return ch
}

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// checkNoManagerGoroutines fails the test if a goroutine of the manager
// (writer, reader, or a caller stuck in Do) is still running once the
// exiting ones have had waitLimit to finish.
func checkNoManagerGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		left := managerGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutine(s) of package manager still running:\n\n%s",
				len(left), strings.Join(left, "\n\n"))
			return
		}
		time.Sleep(time.Millisecond)
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

// clipArgs shortens long arguments for messages.
func clipArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 40 {
			a = fmt.Sprintf("%s...(%d bytes)", a[:20], len(a))
		}
		out[i] = a
	}
	return out
}
