package chaosproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/testwait"
)

// opTimeout bounds every single blocking step of a test. Correct code takes
// milliseconds; the bound only turns a hang into a failure.
const opTimeout = 5 * time.Second

// TestMain checks, after all tests, that no proxy goroutine outlived its
// Close.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if left := waitNoProxyGoroutines(opTimeout); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "chaosproxy goroutines left after all tests:\n%s\n", strings.Join(left, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// echoServer is the target: it echoes every byte back on each connection.
type echoServer struct {
	ln    net.Listener
	ended chan struct{} // one value per server-side connection that ended
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	return startServer(t, func(c net.Conn) { io.Copy(c, c) })
}

// startFlood starts a target that writes to each connection until it fails,
// so a client that never reads leaves the proxy blocked in Write.
func startFlood(t *testing.T) *echoServer {
	t.Helper()
	return startServer(t, func(c net.Conn) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
}

func startServer(t *testing.T, handle func(net.Conn)) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln, ended: make(chan struct{}, 1024), conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				handle(c)
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				select {
				case s.ended <- struct{}{}:
				default:
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *echoServer) addr() string { return s.ln.Addr().String() }

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends msg and reads it back, writing concurrently so that large
// messages cannot deadlock on full socket buffers.
func roundTrip(c net.Conn, msg []byte, timeout time.Duration) error {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	defer c.SetDeadline(time.Time{})
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		werr <- err
	}()
	got := make([]byte, len(msg))
	_, rerr := io.ReadFull(c, got)
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if rerr != nil {
		return fmt.Errorf("read: %w", rerr)
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("echo mismatch: sent %d bytes %.40q..., got %.40q...", len(msg), msg, got)
	}
	return nil
}

func mustRoundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if err := roundTrip(c, []byte(msg), opTimeout); err != nil {
		t.Fatal(err)
	}
}

// expectClosed asserts that the peer closed c: a read fails promptly with
// something other than a timeout.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(opTimeout))
	_, err := io.ReadAll(c) // drains anything in flight, returns at EOF
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", opTimeout)
	}
}

// expectNothing asserts that nothing arrives on c within wait. It is a
// negative check: a correct proxy always passes it.
func expectNothing(t *testing.T, c net.Conn, wait time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	defer c.SetReadDeadline(time.Time{})
	var b [64]byte
	n, err := c.Read(b[:])
	var ne net.Error
	if n > 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("expected nothing within %v, got %q, %v", wait, b[:n], err)
	}
}

// settledStats waits until every byte sent through p to the echo target has
// come back through it (writes are counted just after they return, so the
// counts may trail a completed round trip), and returns the stats.
func settledStats(t *testing.T, p *Proxy) Stats {
	t.Helper()
	var s Stats
	testwait.Eventually(t, "byte counts to settle", func() bool {
		s = p.Stats()
		return s.BytesUp == s.BytesDown
	})
	return s
}

// proxyGoroutines returns the stacks of goroutines started by a Proxy.
func proxyGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "chaosproxy.(*Proxy).acceptLoop") ||
			strings.Contains(g, "chaosproxy.(*Proxy).runPair") {
			found = append(found, g)
		}
	}
	return found
}

// waitForProxyStack waits until some proxy goroutine's stack contains every
// one of frames, that is, until a forwarder is blocked where the test wants.
func waitForProxyStack(t *testing.T, frames ...string) {
	t.Helper()
	testwait.Eventually(t, fmt.Sprintf("a proxy goroutine in %v", frames), func() bool {
	next:
		for _, g := range proxyGoroutines() {
			for _, f := range frames {
				if !strings.Contains(g, f) {
					continue next
				}
			}
			return true
		}
		return false
	})
}

// waitNoProxyGoroutines polls until no proxy goroutine is left (one that has
// signalled Close may still be unwinding) and returns any left at the deadline.
func waitNoProxyGoroutines(timeout time.Duration) []string {
	var left []string
	testwait.Until(timeout, func() bool { left = proxyGoroutines(); return len(left) == 0 })
	return left
}

func TestForwardsBothWays(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())

	const clients, rounds = 16, 20
	var total atomic.Int64
	var wg sync.WaitGroup
	for i := range clients {
		c := dial(t, p.Addr())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				// Sizes up to 3x the proxy's buffer, unique per client and round.
				size := 1 + (i*7919+r*104729)%(3*bufSize)
				tag := []byte(fmt.Sprintf("[%d:%d]", i, r))
				msg := bytes.Repeat(tag, size/len(tag)+1)[:size]
				if err := roundTrip(c, msg, opTimeout); err != nil {
					t.Errorf("client %d round %d: %v", i, r, err)
					return
				}
				total.Add(int64(size))
			}
		}()
	}
	wg.Wait()

	want := total.Load()
	testwait.Eventually(t, "byte counts", func() bool {
		s := p.Stats()
		return s.BytesUp == want && s.BytesDown == want
	})
	if s := p.Stats(); s.Accepted != clients || s.Active != clients {
		t.Fatalf("stats %+v: want %d accepted and active", s, clients)
	}
}

func TestDropAllClosesBothSides(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())

	conns := make([]net.Conn, 3)
	for i := range conns {
		conns[i] = dial(t, p.Addr())
		mustRoundTrip(t, conns[i], "before")
	}
	if n := p.DropAll(); n != len(conns) {
		t.Fatalf("DropAll dropped %d, want %d", n, len(conns))
	}
	for _, c := range conns {
		expectClosed(t, c)
	}
	for range conns {
		testwait.WaitFor(t, echo.ended, "the target side to close after DropAll")
	}
	testwait.Eventually(t, "no active pairs", func() bool { return p.Stats().Active == 0 })
	if s := p.Stats(); s.Dropped != int64(len(conns)) {
		t.Fatalf("Dropped = %d, want %d", s.Dropped, len(conns))
	}

	// The proxy itself keeps working.
	mustRoundTrip(t, dial(t, p.Addr()), "after")
	if n := p.DropAll(); n != 1 {
		t.Fatalf("second DropAll dropped %d, want 1", n)
	}
}

func TestDropOneClosesTheOldestPair(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	first := dial(t, p.Addr())
	mustRoundTrip(t, first, "first")
	second := dial(t, p.Addr())
	mustRoundTrip(t, second, "second")

	if !p.DropOne() {
		t.Fatal("DropOne found no pair")
	}
	expectClosed(t, first)
	mustRoundTrip(t, second, "the other pair is unaffected")
	if s := p.Stats(); s.Dropped != 1 {
		t.Fatalf("Dropped = %d, want 1", s.Dropped)
	}
}

func TestHoldNewDelaysOnlyNewConnections(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	old := dial(t, p.Addr())
	mustRoundTrip(t, old, "before")

	const hold = 200 * time.Millisecond
	p.SetHoldNew(hold)
	held := dial(t, p.Addr())
	start := time.Now()
	mustRoundTrip(t, old, "existing connections are unaffected")
	mustRoundTrip(t, held, "a held connection is served after the hold")
	if elapsed := time.Since(start); elapsed < hold/2 {
		t.Fatalf("a new connection was served after %v, before the %v hold", elapsed, hold)
	}
	p.SetHoldNew(0)
	mustRoundTrip(t, dial(t, p.Addr()), "no hold once turned off")
}

func TestFragmentOneByteSplitsEveryWrite(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	c := dial(t, p.Addr())
	mustRoundTrip(t, c, "unfragmented") // the fault applies to an existing pair
	before := settledStats(t, p)

	// Big enough that the writes outlast the scheduler's 10ms network poll
	// even with GOMAXPROCS=1, so the reader is bound to run in between.
	p.SetFragment(1)
	msg := make([]byte, bufSize)
	for i := range msg {
		msg[i] = byte(i * 31)
	}
	c.SetDeadline(time.Now().Add(opTimeout))
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		werr <- err
	}()
	got := make([]byte, 0, len(msg))
	reads := 0
	buf := make([]byte, len(msg))
	for len(got) < len(msg) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		reads++
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("data corrupted by fragmentation")
	}
	if reads < 2 {
		t.Fatalf("%d bytes arrived in %d read(s); want them split", len(msg), reads)
	}
	// Exactly one write per byte, in both directions.
	testwait.Eventually(t, "one write per byte", func() bool {
		s := p.Stats()
		return s.WritesUp-before.WritesUp == int64(len(msg)) &&
			s.WritesDown-before.WritesDown == int64(len(msg))
	})
	t.Logf("%d bytes arrived in %d reads", len(msg), reads)
}

func TestFragmentKeepsDataIntact(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	c := dial(t, p.Addr())
	for _, size := range []int{2, 3, 7, 16, 1000} {
		p.SetFragment(size)
		msg := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), 3*bufSize/36)
		if err := roundTrip(c, msg, opTimeout); err != nil {
			t.Fatalf("fragment %d: %v", size, err)
		}
	}
	p.SetFragment(0)
	if f := p.Faults(); f.Fragment != 0 {
		t.Fatalf("Fragment = %d after SetFragment(0)", f.Fragment)
	}
	mustRoundTrip(t, c, "unfragmented again")
}

func TestDelayAddsLatencyEachWay(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	c := dial(t, p.Addr())
	mustRoundTrip(t, c, "warm up") // the dial is not part of the measurement

	const d = 30 * time.Millisecond
	p.SetDelay(d)
	if got := p.Faults().Delay; got != d {
		t.Fatalf("Faults().Delay = %v, want %v", got, d)
	}
	start := time.Now()
	mustRoundTrip(t, c, "delayed")
	if elapsed := time.Since(start); elapsed < 2*d {
		t.Fatalf("round trip took %v, want at least %v (d each way)", elapsed, 2*d)
	}

	p.SetDelay(0)
	mustRoundTrip(t, c, "undelayed")
}

func TestDelayChangeAppliesToWaitingChunks(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	c := dial(t, p.Addr())
	mustRoundTrip(t, c, "warm up")

	p.SetDelay(time.Hour)
	if _, err := c.Write([]byte("waiting")); err != nil {
		t.Fatal(err)
	}
	waitForProxyStack(t, "forward", "waitDelay")
	p.SetDelay(time.Hour + time.Minute) // still waiting: nothing arrives
	expectNothing(t, c, 20*time.Millisecond)
	p.Reset() // releases the chunk now, not in an hour
	c.SetReadDeadline(time.Now().Add(opTimeout))
	got := make([]byte, len("waiting"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "waiting" {
		t.Fatalf("after Reset: %q, %v", got, err)
	}
}

func TestBlackholeHoldsThenDelivers(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	old := dial(t, p.Addr())
	mustRoundTrip(t, old, "before")

	before := settledStats(t, p)
	p.SetBlackhole(true)
	p.SetBlackhole(true) // idempotent
	if _, err := old.Write([]byte("held-old")); err != nil {
		t.Fatal(err)
	}
	fresh := dial(t, p.Addr()) // new connections are accepted and kept
	if _, err := fresh.Write([]byte("held-new")); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, old, 100*time.Millisecond)
	expectNothing(t, fresh, 10*time.Millisecond)
	if s := p.Stats(); s.BytesUp != before.BytesUp || s.BytesDown != before.BytesDown {
		t.Fatalf("bytes forwarded while blackholed: before %+v, after %+v", before, s)
	}
	if !p.Faults().Blackhole {
		t.Fatal("Faults().Blackhole = false while on")
	}

	p.SetBlackhole(false)
	for _, tc := range []struct {
		c    net.Conn
		want string
	}{{old, "held-old"}, {fresh, "held-new"}} {
		tc.c.SetReadDeadline(time.Now().Add(opTimeout))
		got := make([]byte, len(tc.want))
		if _, err := io.ReadFull(tc.c, got); err != nil || string(got) != tc.want {
			t.Fatalf("after blackhole: got %q, %v; want %q", got, err, tc.want)
		}
	}
	mustRoundTrip(t, old, "after")
}

func TestBlackholeMidFragmentResumesInOrder(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	c := dial(t, p.Addr())
	mustRoundTrip(t, c, "before")

	// Toggle the blackhole repeatedly while a fragmented message is in flight.
	p.SetFragment(3)
	msg := bytes.Repeat([]byte("abcdefg"), 2000)
	errc := make(chan error, 1)
	go func() { errc <- roundTrip(c, msg, opTimeout) }()
	for i := range 200 {
		p.SetBlackhole(i%2 == 0)
	}
	p.SetBlackhole(false)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRefuseClosesNewConnections(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	old := dial(t, p.Addr())
	mustRoundTrip(t, old, "before")

	p.SetRefuse(true)
	refused := dial(t, p.Addr())
	expectClosed(t, refused)
	mustRoundTrip(t, old, "existing connections are unaffected")
	if s := p.Stats(); s.Refused != 1 || s.Accepted != 2 {
		t.Fatalf("stats %+v: want 1 refused of 2 accepted", s)
	}

	p.SetRefuse(false)
	mustRoundTrip(t, dial(t, p.Addr()), "accepted again")
}

func TestDialFailureClosesClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now

	p := newProxy(t, dead)
	expectClosed(t, dial(t, p.Addr()))
	testwait.Eventually(t, "DialFailed", func() bool { return p.Stats().DialFailed == 1 })
}

func TestResetTurnsEverythingOff(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	c := dial(t, p.Addr())
	mustRoundTrip(t, c, "before")

	p.SetDelay(time.Millisecond)
	p.SetFragment(2)
	p.SetRefuse(true)
	p.SetBlackhole(true)
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	if f := p.Faults(); f != (Faults{}) {
		t.Fatalf("Faults() = %+v after Reset", f)
	}
	c.SetReadDeadline(time.Now().Add(opTimeout))
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "held" {
		t.Fatalf("held data after Reset: %q, %v", got, err)
	}
	mustRoundTrip(t, dial(t, p.Addr()), "new connections accepted")
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	if left := waitNoProxyGoroutines(opTimeout); len(left) > 0 {
		t.Fatalf("goroutines left by an earlier test:\n%s", strings.Join(left, "\n\n"))
	}
	echo := startEcho(t)
	flood := startFlood(t)
	p, err := New(echo.addr())
	if err != nil {
		t.Fatal(err)
	}
	pf, err := New(flood.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); pf.Close() }) // if the test stops early

	// Forwarders blocked in every way: idle in Read, held by the blackhole,
	// sleeping in a long delay, and stuck in Write to a client that never
	// reads.
	idle := dial(t, p.Addr())
	mustRoundTrip(t, idle, "idle")
	blocked := dial(t, pf.Addr())
	waitForProxyStack(t, "writeChunk", "waitWrite")
	p.SetDelay(time.Hour)
	delayed := dial(t, p.Addr())
	if _, err := delayed.Write([]byte("delayed")); err != nil {
		t.Fatal(err)
	}
	waitForProxyStack(t, "forward", "waitDelay")
	p.SetBlackhole(true)
	held := dial(t, p.Addr())
	if _, err := held.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	testwait.Eventually(t, "held pair", func() bool { return p.Stats().Active == 3 })
	waitForProxyStack(t, "forward", "waitOpen")

	done := make(chan error, 2)
	go func() { done <- p.Close() }()
	go func() { done <- pf.Close() }()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		case <-time.After(opTimeout):
			t.Fatalf("Close blocked; goroutines:\n%s", strings.Join(proxyGoroutines(), "\n\n"))
		}
	}
	if left := waitNoProxyGoroutines(opTimeout); len(left) > 0 {
		t.Fatalf("goroutines left after Close:\n%s", strings.Join(left, "\n\n"))
	}
	for _, c := range []net.Conn{idle, delayed, held} {
		expectClosed(t, c)
	}
	blocked.Close()

	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr(), opTimeout); err == nil {
		expectClosed(t, c)
		c.Close()
	}
	if s := p.Stats(); s.Active != 0 {
		t.Fatalf("Active = %d after Close", s.Active)
	}
}

func TestRandomFaultsUnderTraffic(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())

	stop := make(chan struct{})
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var c net.Conn
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				if c == nil {
					var err error
					if c, err = net.DialTimeout("tcp", p.Addr(), time.Second); err != nil {
						failed.Add(1)
						c = nil
						continue
					}
				}
				msg := []byte(fmt.Sprintf("client %d seq %d %s", i, seq, strings.Repeat("z", rng.IntN(2048))))
				err := roundTrip(c, msg, time.Second)
				switch {
				case err == nil:
					ok.Add(1)
				case strings.Contains(err.Error(), "mismatch"):
					t.Errorf("client %d: %v", i, err)
					return
				default: // dropped, refused or stalled: reconnect, like a client would
					failed.Add(1)
					c.Close()
					c = nil
				}
			}
		}()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// Seed 641 starts with: drop, fragment 9 for 32ms, blackhole for 11ms,
	// delay 3ms for 53ms, refuse for 122ms.
	faults := p.RandomFaults(ctx, rand.New(rand.NewPCG(641, 641)), 5*time.Millisecond)
	if f := p.Faults(); f != (Faults{}) {
		t.Fatalf("faults still on after RandomFaults: %+v", f)
	}
	close(stop)
	testwait.WaitFor(t, testwait.Done(&wg), "the clients to stop")

	if len(faults) < 2 || faults[0].Kind != FaultDrop || faults[1] != (Fault{Kind: FaultFragment, Fragment: 9, For: 32 * time.Millisecond}) {
		t.Fatalf("faults applied: %v; want the seed's sequence, drop and fragment first", faults)
	}
	mustRoundTrip(t, dial(t, p.Addr()), "healthy after chaos")
	t.Logf("faults %v; round trips ok %d, failed %d; stats %+v", faults, ok.Load(), failed.Load(), p.Stats())
}

func TestRandomFaultsIsDeterministic(t *testing.T) {
	a := rand.New(rand.NewPCG(1, 2))
	b := rand.New(rand.NewPCG(1, 2))
	seen := map[FaultKind]bool{}
	for i := range 500 {
		fa, fb := randomFault(a), randomFault(b)
		if fa != fb {
			t.Fatalf("fault %d differs for the same seed: %v vs %v", i, fa, fb)
		}
		seen[fa.Kind] = true
		switch {
		case fa.Kind == FaultDrop && fa.For != 0,
			fa.Kind != FaultDrop && (fa.For < minFaultDuration || fa.For > maxFaultDuration),
			fa.Kind == FaultDelay && (fa.Delay < time.Millisecond || fa.Delay > maxRandomDelay),
			fa.Kind == FaultFragment && (fa.Fragment < 1 || fa.Fragment > maxRandomFragment):
			t.Fatalf("fault out of bounds: %+v", fa)
		}
	}
	if len(seen) != 5 {
		t.Fatalf("kinds drawn: %v; want all five", seen)
	}
}

func TestRandomFaultsReturnsAtOnceWhenDone(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())
	p.SetBlackhole(true)
	p.SetRefuse(true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if faults := p.RandomFaults(ctx, rand.New(rand.NewPCG(1, 1)), 0); len(faults) != 0 {
		t.Fatalf("applied %v after ctx was done", faults)
	}
	if f := p.Faults(); f != (Faults{}) {
		t.Fatalf("faults still on: %+v", f)
	}
}

// TestConcurrentSettersAndTraffic hammers every setter from many goroutines
// while clients exchange data, for the race detector.
func TestConcurrentSettersAndTraffic(t *testing.T) {
	echo := startEcho(t)
	p := newProxy(t, echo.addr())

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				switch (i + j) % 7 {
				case 0:
					p.SetDelay(time.Duration(j%2) * time.Microsecond)
				case 1:
					p.SetFragment(j % 5)
				case 2:
					p.SetBlackhole(j%2 == 0)
				case 3:
					p.SetRefuse(j%3 == 0)
				case 4:
					p.DropAll()
				case 5:
					_ = p.Stats()
					_ = p.Faults()
				case 6:
					p.Reset()
				}
			}
		}()
	}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				c, err := net.DialTimeout("tcp", p.Addr(), opTimeout)
				if err != nil {
					continue
				}
				// Errors are expected (drops, refusals); corruption is not.
				if err := roundTrip(c, []byte(fmt.Sprintf("%d/%d", i, j)), 200*time.Millisecond); err != nil &&
					strings.Contains(err.Error(), "mismatch") {
					t.Error(err)
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	p.Reset()
	mustRoundTrip(t, dial(t, p.Addr()), "healthy after the storm")
}
