package redmux_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/manager"
)

// Connecting: dial and handshake failures, and servers that are not Redis.

func TestConnectFailureIsConnErrorAndLeavesNothingRunning(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	_, err = redmux.Connect(ctx, addr)
	var cerr *redmux.ConnError
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, "dial", cerr.Op)
	assert.Equal(t, addr, cerr.Addr)
	assert.Contains(t, err.Error(), addr)
	assert.Contains(t, err.Error(), "refused")

	// Name resolution fails without leaving the machine: the resolver's
	// own connection is refused.
	offlineResolver := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no name server in tests")
	}}
	_, err = redmux.New(ctx, redmux.Config{Addr: "redis.example:6379", Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
		d := net.Dialer{Resolver: offlineResolver}
		return d.DialContext(ctx, "tcp", addr)
	}})
	require.ErrorAs(t, err, &cerr)
	var dnsErr *net.DNSError
	assert.ErrorAs(t, err, &dnsErr)
	assert.Contains(t, err.Error(), "redis.example")

	// A dial that never completes is cut off by DialTimeout.
	start := time.Now()
	_, err = redmux.New(ctx, redmux.Config{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond,
		Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
			<-ctx.Done()
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
		}})
	require.ErrorAs(t, err, &cerr)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestConnectHandshakeFailureNamesCommandNotPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	srv := redistest.StartT(t, "--requirepass", "right-password")
	_, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Password: "wrong-password"})
	var cerr *redmux.ConnError
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, "handshake", cerr.Op)
	assert.Contains(t, err.Error(), "AUTH")
	assert.NotContains(t, err.Error(), "wrong-password")

	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Password: "right-password", DB: 2, ClientName: "redmux-test"})
	require.NoError(t, err)
	defer c.Close()
	v, err := c.Do(ctx, "CLIENT", "GETNAME")
	require.NoError(t, err)
	name, _ := v.Text()
	assert.Equal(t, "redmux-test", name)
}

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
