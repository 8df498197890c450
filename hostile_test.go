package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/manager"
)

// Hostile servers: scripted fake servers on 127.0.0.1 that answer wrongly,
// partly, slowly or not at all. For each, the caller gets a clear error
// within a bounded time, nothing panics, no goroutine of the library is left
// after Close, and, where a client has several managers, the others keep
// serving while the one that met the hostile server is broken.
//
// The multi-manager tests route with Config.Dial: the first dial goes to the
// hostile server, the other initial dials to a healthy miniredis, and every
// later dial (a reconnect, which only the broken manager makes) waits until
// the test allows it, then goes to miniredis. So exactly one manager is
// hostile, and it stays down for as long as the test wants.

// Stall detection settings for the cases that need it.
const (
	hostileStall = 200 * time.Millisecond
	hostilePing  = 100 * time.Millisecond
)

// hostileRoute is a Config.Dial: dial 1 goes to the hostile server, dials
// 2 to initial to the healthy one, later dials (reconnects) wait for
// allowRedial and then go to the healthy one. The count holds only if the
// hostile server misbehaves after New has returned, which every script
// here makes sure of: otherwise the broken manager's redial could come
// before another manager's first dial.
type hostileRoute struct {
	hostile, healthy string
	initial          int64
	dials            atomic.Int64
	redial           chan struct{}
	once             sync.Once
}

func newHostileRoute(hostile, healthy string, initial int) *hostileRoute {
	return &hostileRoute{hostile: hostile, healthy: healthy, initial: int64(initial), redial: make(chan struct{})}
}

func (r *hostileRoute) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	n := r.dials.Add(1)
	target := r.healthy
	if n == 1 {
		target = r.hostile
	}
	if n > r.initial {
		select {
		case <-r.redial:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", target)
}

func (r *hostileRoute) allowRedial() { r.once.Do(func() { close(r.redial) }) }

// hostileLeakCheck captures the goroutines running now; the returned func
// closes srv (whose goroutines are the test's) and checks that nothing else
// started since is left. Call it after closing the client.
func hostileLeakCheck(t *testing.T, srv *fakeredis.Server) func() {
	before := goleak.IgnoreCurrent()
	return func() {
		srv.Close()
		goleak.VerifyNone(t, before)
	}
}

// healthyServer is a miniredis holding k = v.
func healthyServer(t *testing.T) *miniredis.Miniredis {
	mini := miniredis.RunT(t)
	require.NoError(t, mini.Set("k", "v"))
	return mini
}

type getResult struct {
	val   []byte
	found bool
	err   error
	at    time.Time
}

// goGet runs c.Get on its own goroutine.
func goGet(ctx context.Context, c *redmux.Client, key string) <-chan getResult {
	ch := make(chan getResult, 1)
	go func() {
		val, found, err := c.Get(ctx, key)
		ch <- getResult{val, found, err, time.Now()}
	}()
	return ch
}

func awaitGet(t *testing.T, ch <-chan getResult) getResult {
	t.Helper()
	return testwait.WaitFor(t, ch, "the Get to return")
}

// requireGetV checks a successful Get of k.
func requireGetV(t *testing.T, r getResult) {
	t.Helper()
	require.NoError(t, r.err)
	require.True(t, r.found)
	require.Equal(t, "v", string(r.val))
}

// connectedManagers counts the client's connected managers.
func connectedManagers(c *redmux.Client) int {
	n := 0
	for _, m := range c.Stats().Managers {
		if m.Connected {
			n++
		}
	}
	return n
}

// hostileTraffic runs workers goroutines of ops SET/GET pairs on keys of
// their own, all of which must succeed with the worker's own values.
func hostileTraffic(t *testing.T, ctx context.Context, c *redmux.Client, workers, ops int) {
	t.Helper()
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				for i := range ops {
					key := fmt.Sprintf("traffic:%d", w)
					want := fmt.Sprintf("%d-%d", w, i)
					if err := c.Set(ctx, key, []byte(want)); err != nil {
						return fmt.Errorf("SET %s: %w", key, err)
					}
					got, found, err := c.Get(ctx, key)
					if err != nil || !found || string(got) != want {
						return fmt.Errorf("GET %s: %q, %t, %v; want %q", key, got, found, err, want)
					}
				}
				return nil
			}()
		}()
	}
	testwait.WaitFor(t, testwait.Done(&wg), "the traffic to finish")
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

// hostileReply is a case of a hostile server that reads the first command
// after the handshake, waits for the test's go-ahead, sends reply, then
// closes the connection or keeps reading without answering
// (fakeredis.Misbehavior).
type hostileReply struct {
	reply      string
	closeAfter bool
	cfg        func(cfg *redmux.Config)
	// cause checks the victim's error beyond being a read *ConnError.
	cause func(t *testing.T, err error)
	// minElapsed and maxElapsed bound the time from the request to its
	// error.
	minElapsed, maxElapsed time.Duration
}

// server starts the hostile server of h: it tells received when it has
// read the request, and answers once release is closed.
func (h hostileReply) server(t *testing.T, received chan<- struct{}, release <-chan struct{}) *fakeredis.Server {
	return fakeredis.Hostile(t, fakeredis.Misbehavior{
		Reply: h.reply, Cut: h.closeAfter, Received: received, Release: release,
	}, fakeredis.AnswerHandshake())
}

// config is the client configuration of a hostile case. Read retry is off:
// the victim, a GET, would otherwise be sent once more and succeed, and
// these cases check what a caller sees of the failure itself
// (TestReadRetry... cover the retry).
func (h hostileReply) config(cfg redmux.Config) redmux.Config {
	cfg.DisableReadRetry = true
	if h.cfg != nil {
		h.cfg(&cfg)
	}
	return cfg
}

// checkVictim checks the error of the request the hostile server answered.
func (h hostileReply) checkVictim(t *testing.T, r getResult, start time.Time, addr string) {
	t.Helper()
	var ce *redmux.ConnError
	require.ErrorAs(t, r.err, &ce, "the request on the hostile connection")
	assert.Equal(t, "read", ce.Op)
	assert.Equal(t, addr, ce.Addr)
	assert.Equal(t, "GET", ce.Cmd)
	assert.True(t, ce.Sent, "the GET was sent")
	assert.ErrorIs(t, r.err, redmux.ErrMaybeExecuted)
	assert.Contains(t, r.err.Error(), addr)
	h.cause(t, r.err)
	elapsed := r.at.Sub(start)
	assert.GreaterOrEqual(t, elapsed, h.minElapsed, "failed before it could have been detected")
	assert.Less(t, elapsed, h.maxElapsed, "took too long to fail")
}

// run runs both variants: one manager, and other managers keep serving.
func (h hostileReply) run(t *testing.T) {
	t.Run("one manager", h.runOne)
	t.Run("other managers keep serving", h.runOthers)
}

// runOne: the only manager meets the hostile server. Its request fails;
// the next one waits for the reconnect (to the healthy server) and
// succeeds.
func (h hostileReply) runOne(t *testing.T) {
	healthy := healthyServer(t)
	received, release := make(chan struct{}, 1), make(chan struct{})
	srv := h.server(t, received, release)
	route := newHostileRoute(srv.Addr(), healthy.Addr(), 1)
	route.allowRedial()
	defer hostileLeakCheck(t, srv)()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	c, err := redmux.New(ctx, h.config(redmux.Config{Addr: srv.Addr(), Managers: 1, Dial: route.dial}))
	require.NoError(t, err)
	defer c.Close()

	start := time.Now()
	victim := goGet(context.Background(), c, "k")
	testwait.WaitFor(t, received, "the hostile server to receive the request")
	close(release)
	h.checkVictim(t, awaitGet(t, victim), start, srv.Addr())

	requireGetV(t, awaitGet(t, goGet(ctx, c, "k")))
	st := c.Stats().Total()
	assert.EqualValues(t, 1, st.Reconnects)
	assert.True(t, st.Connected)
}

// runOthers: one manager of three meets the hostile server; the requests
// that do not land on it, before, during and after its failure, all
// succeed, and it rejoins once it may reconnect.
func (h hostileReply) runOthers(t *testing.T) {
	const managers = 3
	healthy := healthyServer(t)
	received, release := make(chan struct{}, 1), make(chan struct{})
	srv := h.server(t, received, release)
	route := newHostileRoute(srv.Addr(), healthy.Addr(), managers)
	defer hostileLeakCheck(t, srv)()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	c, err := redmux.New(ctx, h.config(redmux.Config{Addr: srv.Addr(), Managers: managers, Dial: route.dial}))
	require.NoError(t, err)
	defer c.Close()

	// Sequential requests rotate over the idle managers: within a round
	// one lands on the hostile manager and stays there.
	var victim <-chan getResult
	var start time.Time
	for i := 0; victim == nil; i++ {
		require.Less(t, i, 2*managers, "no request reached the hostile manager")
		start = time.Now()
		ch := goGet(context.Background(), c, "k")
		select {
		case r := <-ch:
			requireGetV(t, r)
		case <-received:
			victim = ch
		case <-time.After(testwait.Limit):
			t.Fatal("a probe request hangs")
		}
	}
	close(release)

	// While the victim waits, one caller keeps going. Each of its requests
	// finds the healthy managers idle and the hostile one loaded (or no
	// longer connected), so none lands there, and all succeed.
	var r getResult
	served := 0
	for done := false; !done; {
		select {
		case r = <-victim:
			done = true
			continue
		default:
		}
		val, found, err := c.Get(ctx, "k")
		requireGetV(t, getResult{val: val, found: found, err: err})
		served++
		require.Less(t, time.Since(start), testwait.Limit, "the victim never failed")
	}
	h.checkVictim(t, r, start, srv.Addr())
	t.Logf("%d requests served by the other managers while the victim waited", served)

	// The broken manager stays down (its redial waits): concurrent traffic
	// is routed around it.
	require.Equal(t, managers-1, connectedManagers(c))
	hostileTraffic(t, ctx, c, 16, 25)

	route.allowRedial()
	testwait.Eventually(t, "the broken manager to reconnect", func() bool {
		return connectedManagers(c) == managers && c.Stats().Total().Reconnects == 1
	})
	hostileTraffic(t, ctx, c, 16, 25)
}

func wantProtocolError(typ byte) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var pe *redmux.ProtocolError
		require.ErrorAs(t, err, &pe)
		if typ != 0 {
			assert.Equal(t, string(typ), string(pe.Type), "the type byte of %v", pe)
		}
	}
}

func wantStalled(t *testing.T, err error) {
	t.Helper()
	assert.ErrorIs(t, err, manager.ErrStalled)
}

func withStallDetection(cfg *redmux.Config) {
	cfg.StallTimeout, cfg.PingTimeout = hostileStall, hostilePing
}

func TestHostileGarbageTypeByte(t *testing.T) {
	hostileReply{
		reply:      "?garbage\r\n",
		cause:      wantProtocolError(0),
		maxElapsed: 2 * time.Second,
	}.run(t)
}

func TestHostileNegativeLength(t *testing.T) {
	hostileReply{
		reply:      "$-5\r\n",
		cause:      wantProtocolError('$'),
		maxElapsed: 2 * time.Second,
	}.run(t)
}

// TestHostileHugeBulkThenStall: a reply claiming a 1 GiB string, followed
// by a few bytes and silence. Under the default 512 MiB limit it is
// rejected at once. Under a 2 GiB limit the reader must wait for the bytes;
// stall detection ends the wait, and memory stays bounded meanwhile (the
// reader allocates for bytes received, not for the claimed length).
func TestHostileHugeBulkThenStall(t *testing.T) {
	const reply = "$1073741824\r\nabc"
	t.Run("over the default limit", func(t *testing.T) {
		hostileReply{
			reply:      reply,
			cause:      wantProtocolError('$'),
			maxElapsed: 2 * time.Second,
		}.run(t)
	})
	stalled := hostileReply{
		reply: reply,
		cfg: func(cfg *redmux.Config) {
			withStallDetection(cfg)
			cfg.Limits.MaxBulkLen = 2 << 30
		},
		cause:      wantStalled,
		minElapsed: hostileStall,
		maxElapsed: hostileStall + hostilePing + 3*time.Second,
	}
	t.Run("under a 2 GiB limit: stall detection ends it", func(t *testing.T) {
		t.Run("memory stays bounded", func(t *testing.T) {
			// One manager and no other traffic, so that what is allocated
			// meanwhile is the reader's (and the stall detector's) alone.
			// TotalAlloc counts every allocation, freed or not.
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			stalled.runOne(t)
			runtime.ReadMemStats(&after)
			const bound = 64 << 20
			allocated := after.TotalAlloc - before.TotalAlloc
			assert.Less(t, allocated, uint64(bound), "allocated %d MiB for a reply of 3 bytes claiming 1 GiB", allocated>>20)
			t.Logf("allocated %d KiB in all while the reply stalled", allocated>>10)
			assert.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(bound), "heap growth")
		})
		t.Run("other managers keep serving", stalled.runOthers)
	})
}

// TestHostileUnsolicitedReply: the server sends +OK right after accept,
// before any request (the client sends nothing at connect without a
// handshake). The reply finds the FIFO empty, so the manager kills the
// connection (invariant 8) and reconnects.
//
// What is asserted: the test waits until the manager is seen down before
// making any request, because a reply that arrives after a request was
// written is indistinguishable from that request's answer (no client can
// tell); with that ordering the stray +OK can never reach a caller. A
// request made while the only manager is down waits for the reconnect (up
// to ReconnectWait) and gets the healthy server's value, not "OK"; no
// request fails, since none was pending on the hostile connection. With
// several managers, traffic is routed around the broken one meanwhile.
func TestHostileUnsolicitedReply(t *testing.T) {
	for _, managers := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d managers", managers), func(t *testing.T) {
			healthy := healthyServer(t)
			// The stray reply goes out once New has returned: sent at
			// accept, it could kill the connection and have the manager
			// redial before the other managers' first dials, which would
			// confuse the route's count of initial dials.
			release := make(chan struct{})
			srv := fakeredis.Start(t, fakeredis.AnswerHandshake(), fakeredis.WithScript(func(c *fakeredis.Conn) {
				if c.Wait(release) && c.SendRaw("+OK\r\n") == nil {
					c.Drain()
				}
			}))
			route := newHostileRoute(srv.Addr(), healthy.Addr(), managers)
			defer hostileLeakCheck(t, srv)()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()

			c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: managers, Dial: route.dial})
			require.NoError(t, err)
			defer c.Close()
			close(release)
			testwait.Eventually(t, "the manager that got the stray reply to go down", func() bool {
				return connectedManagers(c) == managers-1
			})

			var waiting <-chan getResult
			if managers == 1 {
				waiting = goGet(ctx, c, "k") // waits for the reconnect
			} else {
				hostileTraffic(t, ctx, c, 16, 25)
			}
			route.allowRedial()
			if waiting != nil {
				requireGetV(t, awaitGet(t, waiting))
			}
			testwait.Eventually(t, "the manager to reconnect", func() bool {
				return connectedManagers(c) == managers && c.Stats().Total().Reconnects == 1
			})
			hostileTraffic(t, ctx, c, 16, 25)
			assert.Zero(t, c.Stats().Total().Failed, "no request was pending on the hostile connection")
		})
	}
}

func TestHostileCloseMidReply(t *testing.T) {
	hostileReply{
		reply:      "$10\r\nabc",
		closeAfter: true,
		cause: func(t *testing.T, err error) {
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		},
		maxElapsed: 2 * time.Second,
	}.run(t)
}

// dribbleStore is the data of the one-byte-per-write server.
type dribbleStore struct {
	mu   sync.Mutex
	data map[string]string
}

// answer returns the encoded reply to cmd: PING, ECHO, SET, GET and MGET.
func (s *dribbleStore) answer(cmd []string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	bulk := func(b []byte, v string) []byte {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(v)), 10)
		return append(append(append(b, "\r\n"...), v...), "\r\n"...)
	}
	get := func(b []byte, key string) []byte {
		if v, ok := s.data[key]; ok {
			return bulk(b, v)
		}
		return append(b, "$-1\r\n"...)
	}
	switch {
	case strings.EqualFold(cmd[0], "PING") && len(cmd) == 1:
		return []byte("+PONG\r\n")
	case strings.EqualFold(cmd[0], "ECHO") && len(cmd) == 2:
		return bulk(nil, cmd[1])
	case strings.EqualFold(cmd[0], "SET") && len(cmd) == 3:
		s.data[cmd[1]] = cmd[2]
		return []byte("+OK\r\n")
	case strings.EqualFold(cmd[0], "GET") && len(cmd) == 2:
		return get(nil, cmd[1])
	case strings.EqualFold(cmd[0], "MGET") && len(cmd) > 1:
		b := append([]byte("*"), strconv.Itoa(len(cmd)-1)...)
		b = append(b, "\r\n"...)
		for _, k := range cmd[1:] {
			b = get(b, k)
		}
		return b
	}
	return []byte("-ERR unknown command\r\n")
}

// oneByteReads makes every Read of the client return at most one byte.
type oneByteReads struct{ net.Conn }

func (c oneByteReads) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return c.Conn.Read(p)
}

// TestHostileOneBytePerWrite: a correct server that writes every reply one
// byte per write (each write goes out on its own: TCP_NODELAY), and, in a
// second variant, a client connection that reads one byte at a time. Many
// concurrent callers must all get their own, correct values.
func TestHostileOneBytePerWrite(t *testing.T) {
	for _, oneByteClient := range []bool{false, true} {
		name := "server writes one byte at a time"
		if oneByteClient {
			name = "and the client reads one byte at a time"
		}
		t.Run(name, func(t *testing.T) {
			store := &dribbleStore{data: make(map[string]string)}
			srv := fakeredis.Serve(t, func(c *fakeredis.Conn, cmd []string) {
				reply := store.answer(cmd)
				for i := range reply {
					if c.SendRaw(string(reply[i:i+1])) != nil {
						return
					}
				}
			}, fakeredis.AnswerHandshake())
			defer hostileLeakCheck(t, srv)()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			cfg := redmux.Config{Addr: srv.Addr(), Managers: 2}
			if oneByteClient {
				cfg.Dial = func(ctx context.Context, _, addr string) (net.Conn, error) {
					var d net.Dialer
					nc, err := d.DialContext(ctx, "tcp", addr)
					if err != nil {
						return nil, err
					}
					return oneByteReads{nc}, nil
				}
			}
			c, err := redmux.New(ctx, cfg)
			require.NoError(t, err)
			defer c.Close()

			const workers, ops = 32, 20
			errs := make(chan error, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- dribbleWorker(ctx, c, w, ops)
				}()
			}
			testwait.WaitFor(t, testwait.Done(&wg), "the workers to finish")
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}
			st := c.Stats().Total()
			assert.Zero(t, st.Failed)
			assert.Zero(t, st.Reconnects)
			t.Logf("%d requests, %d bytes received one at a time", st.Completed, st.BytesIn)
		})
	}
}

// dribbleWorker runs ops rounds of SET, GET, MGET and ECHO with values of
// its own (binary, CRLF inside, one larger than a read buffer's worth of
// small replies) and checks every reply.
func dribbleWorker(ctx context.Context, c *redmux.Client, w, ops int) error {
	key := fmt.Sprintf("dribble:%d", w)
	for i := range ops {
		want := fmt.Sprintf("w%d\r\n\x00i%d", w, i)
		if i == ops/2 {
			want = strings.Repeat(fmt.Sprintf("%d.", w), 600) // a few KiB
		}
		if err := c.Set(ctx, key, []byte(want)); err != nil {
			return fmt.Errorf("SET: %w", err)
		}
		got, found, err := c.Get(ctx, key)
		if err != nil || !found || string(got) != want {
			return fmt.Errorf("GET %s: %q, %t, %v; want %q", key, got, found, err, want)
		}
		vals, err := c.MGet(ctx, key, "dribble:missing", key)
		if err != nil || len(vals) != 3 || string(vals[0]) != want || vals[1] != nil || string(vals[2]) != want {
			return fmt.Errorf("MGET: %q, %v", vals, err)
		}
		echo, err := c.Echo(ctx, want)
		if err != nil || echo != want {
			return fmt.Errorf("ECHO: %q, %v", echo, err)
		}
		if err := c.Ping(ctx); err != nil {
			return fmt.Errorf("PING: %w", err)
		}
	}
	return nil
}

// TestHostileAcceptsNeverAnswers: a server that accepts and reads but never
// answers. A caller with no deadline gets a *ConnError wrapping
// manager.ErrStalled once stall detection gives up on the connection; a
// caller with a short timeout gets context.DeadlineExceeded at its
// deadline, unchanged. The manager reconnects and serves again; with
// several managers, the others keep serving throughout.
func TestHostileAcceptsNeverAnswers(t *testing.T) {
	never := hostileReply{
		reply:      "", // says nothing, ever
		cfg:        withStallDetection,
		cause:      wantStalled,
		minElapsed: hostileStall,
		maxElapsed: hostileStall + hostilePing + 3*time.Second,
	}
	t.Run("one manager", func(t *testing.T) {
		healthy := healthyServer(t)
		received := make(chan struct{}, 1)
		srv := fakeredis.Hostile(t, fakeredis.Misbehavior{Received: received}, fakeredis.AnswerHandshake())
		route := newHostileRoute(srv.Addr(), healthy.Addr(), 1)
		route.allowRedial()
		defer hostileLeakCheck(t, srv)()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		c, err := redmux.New(ctx, never.config(redmux.Config{Addr: srv.Addr(), Managers: 1, Dial: route.dial}))
		require.NoError(t, err)
		defer c.Close()

		start := time.Now()
		victim := goGet(context.Background(), c, "k")
		testwait.WaitFor(t, received, "the server to read the request")

		const short = 50 * time.Millisecond
		shortCtx, cancelShort := context.WithTimeout(context.Background(), short)
		defer cancelShort()
		shortStart := time.Now()
		_, _, err = c.Get(shortCtx, "k")
		elapsed := time.Since(shortStart)
		require.Equal(t, context.DeadlineExceeded, err, "the caller with a short timeout gets its context's error, unchanged")
		assert.GreaterOrEqual(t, elapsed, short)
		assert.Less(t, elapsed, short+time.Second, "returned at its own deadline")

		never.checkVictim(t, awaitGet(t, victim), start, srv.Addr())
		assert.EqualValues(t, 1, c.Stats().Total().Stalls)

		requireGetV(t, awaitGet(t, goGet(ctx, c, "k")))
		st := c.Stats().Total()
		assert.EqualValues(t, 1, st.Reconnects)
		assert.EqualValues(t, 1, st.Stalls)
	})
	t.Run("other managers keep serving", never.runOthers)
}

// TestHostileWrongHandshake: the client sends HELLO 3 with AUTH (Password
// is set) and the server answers it wrongly: with an error, with garbage, or never. New
// fails with a *ConnError whose Op is "handshake", within a bounded time,
// without the password in the message and with nothing left running.
func TestHostileWrongHandshake(t *testing.T) {
	const password = "hostile-s3cret"
	const handshakeTimeout = 200 * time.Millisecond
	cases := []struct {
		name  string
		reply string // "" never answers
		cause func(t *testing.T, ce *redmux.ConnError)
		min   time.Duration
	}{{
		name:  "error reply",
		reply: "-ERR wrong\r\n",
		cause: func(t *testing.T, ce *redmux.ConnError) {
			var re *redmux.RedisError
			require.ErrorAs(t, ce, &re)
			assert.Equal(t, "ERR", re.Prefix)
			assert.Contains(t, ce.Error(), "AUTH", "the message names the rejected command")
		},
	}, {
		name:  "garbage",
		reply: "?garbage\r\n",
		cause: func(t *testing.T, ce *redmux.ConnError) {
			var pe *redmux.ProtocolError
			assert.ErrorAs(t, ce, &pe)
		},
	}, {
		name: "never answers",
		cause: func(t *testing.T, ce *redmux.ConnError) {
			assert.True(t, ce.Timeout() || errors.Is(ce, context.DeadlineExceeded), "cause %v is a timeout", ce.Err)
		},
		min: handshakeTimeout,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// No AnswerHandshake: the handshake's first command gets the reply.
			srv := fakeredis.Hostile(t, fakeredis.Misbehavior{Reply: tc.reply})
			check := hostileLeakCheck(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()

			start := time.Now()
			c, err := redmux.New(ctx, redmux.Config{
				Addr: srv.Addr(), Managers: 2, Password: password, HandshakeTimeout: handshakeTimeout,
			})
			elapsed := time.Since(start)
			if c != nil {
				c.Close()
				t.Fatal("New returned a client")
			}
			var ce *redmux.ConnError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "handshake", ce.Op)
			assert.Equal(t, srv.Addr(), ce.Addr)
			assert.NotContains(t, err.Error(), password)
			tc.cause(t, ce)
			assert.GreaterOrEqual(t, elapsed, tc.min)
			assert.Less(t, elapsed, handshakeTimeout+2*time.Second)

			check()
			var got [][]string // the first command of each connection
			for _, conn := range srv.Conns() {
				if cmds := conn.Received(); len(cmds) > 0 {
					got = append(got, cmds[0])
				}
			}
			require.NotEmpty(t, got, "the server received no command")
			for _, cmd := range got {
				assert.Equal(t, []string{"HELLO", "3", "AUTH", "default", password}, cmd, "the handshake's first command")
			}
		})
	}
}
