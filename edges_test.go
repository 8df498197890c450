package redmux_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/manager"
)

// Edge cases found by attacking the client on purpose. Each test is named
// after the behaviour it pins down; the bug it once was is in its comment.

// TestConnectRefusesUnsolicitedBanner: a server that speaks first is not a
// Redis server in sync with us. It used to be accepted (there was no
// handshake without AUTH/SELECT/SETNAME) and its banner became the first
// Get's reply.
func TestConnectRefusesUnsolicitedBanner(t *testing.T) {
	srv := fakeredis.Start(t, fakeredis.WithScript(func(c *fakeredis.Conn) {
		if c.SendRaw("$6\r\nbanner\r\n") == nil && c.AnswerHandshake() == nil {
			c.Drain()
		}
	}))
	defer hostileLeakCheck(t, srv)()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.Connect(ctx, srv.Addr())
	if c != nil {
		c.Close()
		t.Fatal("Connect accepted a server that sent a banner")
	}
	var ce *redmux.ConnError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "handshake", ce.Op)
	assert.ErrorIs(t, err, manager.ErrNotRESP)
}

// TestConnectRefusesHTTPServer: an HTTP server is not Redis. Connect used
// to succeed against one.
func TestConnectRefusesHTTPServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.Connect(ctx, srv.Listener.Addr().String())
	if c != nil {
		c.Close()
		t.Fatal("Connect accepted an HTTP server")
	}
	var ce *redmux.ConnError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, manager.ErrNotRESP)
	assert.Contains(t, err.Error(), "is it a Redis server?")
}

// TestConfigRejectsHugeValuesByName: every numeric field has an upper
// bound. A huge QueueLen or MaxInFlight used to crash the process
// (makechan: size out of range) and a huge MaxDedicated was truncated to
// int32 and surfaced as puddle's "MaxSize must be >= 1".
func TestConfigRejectsHugeValuesByName(t *testing.T) {
	huge := int(1 << 40)
	cases := []struct {
		field string
		set   func(*redmux.Config)
	}{
		{"QueueLen", func(c *redmux.Config) { c.QueueLen = huge }},
		{"MaxInFlight", func(c *redmux.Config) { c.MaxInFlight = huge }},
		{"MaxDedicated", func(c *redmux.Config) { c.MaxDedicated = 1 << 31 }},
		{"Managers", func(c *redmux.Config) { c.Managers = 1 << 20 }},
		{"MaxBatchBytes", func(c *redmux.Config) { c.MaxBatchBytes = huge }},
		{"DB", func(c *redmux.Config) { c.DB = huge }},
		{"ShutdownTimeout", func(c *redmux.Config) { c.ShutdownTimeout = 1 << 62 }},
		{"Limits.MaxBulkLen", func(c *redmux.Config) { c.Limits.MaxBulkLen = 1 << 62 }},
		{"Limits.MaxDepth", func(c *redmux.Config) { c.Limits.MaxDepth = huge }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			cfg := redmux.Config{Addr: "127.0.0.1:1"}
			tc.set(&cfg)
			c, err := redmux.New(context.Background(), cfg)
			require.Nil(t, c)
			var ce *redmux.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Contains(t, err.Error(), "at most")
		})
	}
}

// TestShutdownFailsDedicatedDialWithErrClosed: a blocking Do whose
// dedicated connection is being dialed when the last handle closes gets
// ErrClosed. It used to get a *ConnError wrapping context.Canceled, though
// its own context was live.
func TestShutdownFailsDedicatedDialWithErrClosed(t *testing.T) {
	mini := miniredis.RunT(t)
	const managers = 2
	var dials atomic.Int32
	dialing := make(chan struct{})
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) > managers { // the dedicated connection: hangs until cancelled
			close(dialing)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: managers, Dial: dial})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, "BLPOP", "q", 0)
		done <- err
	}()
	testwait.WaitFor(t, dialing, "the dedicated dial to start")
	require.NoError(t, c.Close())
	err = testwait.WaitFor(t, done, "the blocking Do to return")
	assert.ErrorIs(t, err, redmux.ErrClosed)
	var ce *redmux.ConnError
	assert.False(t, errors.As(err, &ce), "a *ConnError (%v) although shutdown caused the failure", err)
}

// TestShutdownInterruptsBlockingDoWithErrClosed: a blocking command in
// progress on a dedicated connection when the last handle closes returns
// ErrClosed.
func TestShutdownInterruptsBlockingDoWithErrClosed(t *testing.T) {
	srv := fakeredis.Silent(t, fakeredis.AnswerHandshake()) // never answers BLPOP
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, "BLPOP", "q", 0)
		done <- err
	}()
	waitUntilBlockedIn(t, "manager.(*Conn).Do")
	require.NoError(t, c.Close())
	assert.ErrorIs(t, testwait.WaitFor(t, done, "the blocking Do to return"), redmux.ErrClosed)
}

// TestShutdownReleasesDedicatedWaiters: a caller waiting for a dedicated
// connection (all MaxDedicated lent) gets ErrClosed when the last handle
// closes. It used to stay blocked until the lease came back, and deadlock
// if the lease holder waited for it.
func TestShutdownReleasesDedicatedWaiters(t *testing.T) {
	mini := miniredis.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: 1, MaxDedicated: 1})
	require.NoError(t, err)

	holding := make(chan struct{})
	waiterDone := make(chan error, 1)
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- c.Dedicated(ctx, func(*redmux.DedicatedConn) error {
			close(holding)
			return <-waiterDone // the holder waits on the waiter
		})
	}()
	testwait.WaitFor(t, holding, "the lease to be taken")
	var waiterErr error
	waiterReturned := make(chan struct{})
	go func() {
		defer close(waiterReturned)
		_, waiterErr = c.Do(ctx, "BLPOP", "q", 0)
		waiterDone <- waiterErr
	}()
	waitUntilBlockedIn(t, "puddle")
	require.NoError(t, c.Close())
	testwait.WaitFor(t, waiterReturned, "the waiter to be released by Close")
	assert.ErrorIs(t, waiterErr, redmux.ErrClosed)
	assert.ErrorIs(t, testwait.WaitFor(t, holderDone, "the lease holder to return"), redmux.ErrClosed)
}

// TestSharedRepliesCannotBeMutated: the bytes of one +OK reply are the
// caller's own. Value.Bytes used to hand out the interned slice shared by
// every OK reply in the process.
func TestSharedRepliesCannotBeMutated(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		v, err := c.Do(ctx, "SET", "k", "v")
		require.NoError(t, err)
		b, err := v.Bytes()
		require.NoError(t, err)
		copy(b, "XX")
		v2, err := c.Do(ctx, "SET", "k", "v")
		require.NoError(t, err)
		b2, err := v2.Bytes()
		require.NoError(t, err)
		assert.Equal(t, "OK", string(b2))
	})
}

// TestCommandTimeoutBoundsBlockingCommands: a blocking command given to Do
// may take its own timeout plus CommandTimeout, no more. CommandTimeout
// used to be ignored for blocking commands: against a server that never
// answers, BLPOP k 1 hung for as long as the caller's context allowed.
func TestCommandTimeoutBoundsBlockingCommands(t *testing.T) {
	srv := fakeredis.Silent(t, fakeredis.AnswerHandshake())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	const commandTimeout = 100 * time.Millisecond
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1, CommandTimeout: commandTimeout})
	require.NoError(t, err)
	defer c.Close()

	start := time.Now()
	_, err = c.Do(context.Background(), "BLPOP", "k", "0.5")
	elapsed := time.Since(start)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, elapsed, 500*time.Millisecond, "the command's own timeout is granted")
	assert.Less(t, elapsed, 500*time.Millisecond+commandTimeout+2*time.Second)
}

// TestCommandTimeoutGrantsBlockingTimeout: on a real server, a BLPOP that
// times out on its own returns its null reply, not a context error, though
// it outlasts CommandTimeout.
func TestCommandTimeoutGrantsBlockingTimeout(t *testing.T) {
	forEachBackend(t, redmux.Config{CommandTimeout: 500 * time.Millisecond}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		v, err := c.Do(context.Background(), "BLPOP", "empty-list", "0.2")
		require.NoError(t, err)
		assert.True(t, v.IsNull())
	})
}

// TestClosedHandleErrorsAreErrClosedEverywhere: after Close every call
// returns ErrClosed. An empty Pipeline used to return nil, and Do("MULTI")
// or a pipeline holding BLPOP returned ErrNeedsDedicated.
func TestClosedHandleErrorsAreErrClosedEverywhere(t *testing.T) {
	mini := miniredis.RunT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: 1})
	require.NoError(t, err)
	require.NoError(t, c.Close())

	_, err = c.Pipeline(ctx)
	assert.ErrorIs(t, err, redmux.ErrClosed, "empty pipeline")
	_, err = c.Do(ctx, "MULTI")
	assert.ErrorIs(t, err, redmux.ErrClosed, "MULTI")
	_, err = c.Pipeline(ctx, []any{"BLPOP", "q", 1})
	assert.ErrorIs(t, err, redmux.ErrClosed, "pipeline with BLPOP")
	_, err = c.Do(ctx, "BLPOP", "q", 1)
	assert.ErrorIs(t, err, redmux.ErrClosed, "BLPOP")
	assert.ErrorIs(t, c.Dedicated(ctx, func(*redmux.DedicatedConn) error { return nil }), redmux.ErrClosed)
}

// TestConcurrentCloseWaitsForShutdown: every Close of the last handle
// returns only after the shutdown is over. Of two goroutines closing it,
// one used to return at once while the other was still shutting down.
func TestConcurrentCloseWaitsForShutdown(t *testing.T) {
	addr := fakeredis.Silent(t, fakeredis.AnswerHandshake()).Addr()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	const shutdownTimeout = 300 * time.Millisecond
	c, err := redmux.New(ctx, redmux.Config{Addr: addr, Managers: 1, ShutdownTimeout: shutdownTimeout})
	require.NoError(t, err)
	pending := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), "k") // never answered: shutdown waits for it
		pending <- err
	}()
	testwait.Eventually(t, "the Get to be in flight", func() bool { return c.Stats().Total().InFlight == 1 })

	start := time.Now()
	var wg sync.WaitGroup
	elapsed := make([]time.Duration, 2)
	for i := range elapsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close()
			elapsed[i] = time.Since(start)
		}()
	}
	testwait.WaitFor(t, testwait.Done(&wg), "both Close calls to return")
	for i, d := range elapsed {
		assert.GreaterOrEqual(t, d, shutdownTimeout*9/10, "Close %d returned before the shutdown was over", i)
	}
	assert.ErrorIs(t, <-pending, redmux.ErrClosed)
}

// TestExpireNeverRoundsAPositiveTTLToZero: a TTL under a millisecond
// becomes one millisecond. Expire used to send PEXPIRE key 0, which
// deletes the key.
func TestExpireNeverRoundsAPositiveTTLToZero(t *testing.T) {
	mini := miniredis.RunT(t) // its clock stands still: the key cannot expire by itself
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: mini.Addr(), Managers: 1})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	ok, err := c.Expire(ctx, "k", 500*time.Microsecond)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, mini.Exists("k"), "a positive TTL deleted the key")
	assert.Equal(t, time.Millisecond, mini.TTL("k"))
}

// TestReceiveTimeoutLeavesConnectionUsable: a Receive whose context ends
// before a message arrives returns the context's error and the next
// Receive works. It used to mark the connection broken, and the next call
// failed with "dedicated connection is broken".
func TestReceiveTimeoutLeavesConnectionUsable(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		err := c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			if _, err := conn.Do(ctx, "SUBSCRIBE", "news"); err != nil {
				return err
			}
			for range 3 {
				short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				_, err := conn.Receive(short)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					return err
				}
			}
			if _, err := c.Do(ctx, "PUBLISH", "news", "hello"); err != nil {
				return err
			}
			v, err := conn.Receive(ctx)
			if err != nil {
				return err
			}
			parts, err := v.Array()
			require.NoError(t, err)
			require.Len(t, parts, 3)
			payload, _ := parts[2].Bytes()
			assert.Equal(t, "hello", string(payload))
			return nil
		})
		require.NoError(t, err)
	})
}

// waitUntilBlockedIn waits until a goroutine is inside a function whose
// name contains fn: the state has no event to wait on.
func waitUntilBlockedIn(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	testwait.Eventually(t, "a goroutine to reach "+fn, func() bool {
		n := runtime.Stack(buf, true)
		return strings.Contains(string(buf[:n]), fn)
	})
}
