package redmux_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/internal/tlstest"
	"github.com/redmux/redmux/resp"
)

// clientEntries returns the CLIENT LIST lines of connections named name.
func clientEntries(t *testing.T, ctx context.Context, c *redmux.Client, name string) []map[string]string {
	t.Helper()
	v, err := c.Do(ctx, "CLIENT", "LIST")
	require.NoError(t, err)
	text, err := v.Text()
	require.NoError(t, err)
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		fields := map[string]string{}
		for _, kv := range strings.Fields(line) {
			k, val, _ := strings.Cut(kv, "=")
			fields[k] = val
		}
		if fields["name"] == name {
			out = append(out, fields)
		}
	}
	return out
}

// adminClient connects without credentials to srv for test setup.
func adminClient(t *testing.T, ctx context.Context, addr string, password string) *redmux.Client {
	t.Helper()
	c, err := redmux.New(ctx, redmux.Config{Addr: addr, Managers: 1, Password: password, ClientName: "admin"})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestEveryConnectionIsSetUpAsConfigured: each manager's connection is
// authenticated as the ACL user, on the DB, with the client name, the
// library name and the protocol Protocol reports, and so is a dedicated
// connection.
func TestEveryConnectionIsSetUpAsConfigured(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	admin := adminClient(t, ctx, srv.Addr, "")
	_, err := admin.Do(ctx, "ACL", "SETUSER", "alice", "on", ">alice-secret", "~*", "&*", "+@all")
	require.NoError(t, err)

	for _, proto := range []int{0, 2, 3} {
		t.Run("Protocol="+string(rune('0'+proto)), func(t *testing.T) {
			name := "setup-" + string(rune('0'+proto))
			c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 3, Username: "alice", Password: "alice-secret",
				DB: 5, ClientName: name, Protocol: proto})
			require.NoError(t, err)
			defer c.Close()
			want := map[int]int{0: 3, 2: 2, 3: 3}[proto]
			assert.Equal(t, want, c.Protocol())

			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error { return conn.Ping(ctx) }))
			entries := clientEntries(t, ctx, admin, name)
			require.Len(t, entries, 4, "three managers and a dedicated connection")
			for _, e := range entries {
				assert.Equal(t, "alice", e["user"])
				assert.Equal(t, "5", e["db"])
				assert.Equal(t, string(rune('0'+want)), e["resp"])
			}
		})
	}
}

// TestWrongPasswordFailsWithoutShowingIt: a refused password fails New at
// once with a *ConnError that names the step and the server's reason,
// never the password.
func TestWrongPasswordFailsWithoutShowingIt(t *testing.T) {
	srv := redistest.StartT(t, "--requirepass", "right-password")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for _, proto := range []int{0, 2} {
		start := time.Now()
		_, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Password: "wrong-password-123", Protocol: proto})
		var ce *redmux.ConnError
		require.ErrorAs(t, err, &ce, "Protocol %d", proto)
		assert.Equal(t, "handshake", ce.Op)
		assert.Contains(t, err.Error(), "WRONGPASS")
		assert.NotContains(t, err.Error(), "wrong-password-123")
		assert.Less(t, time.Since(start), 5*time.Second, "refused at once, not retried")
	}
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Password: "right-password"})
	require.NoError(t, err)
	require.NoError(t, c.Ping(ctx))
	c.Close()
}

// TestCredentialsProviderAskedAtEveryReconnect: a rotated password reaches
// the connections that replace killed ones, through the provider.
func TestCredentialsProviderAskedAtEveryReconnect(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	admin := adminClient(t, ctx, srv.Addr, "")
	_, err := admin.Do(ctx, "ACL", "SETUSER", "rotating", "on", ">first", "~*", "&*", "+@all")
	require.NoError(t, err)

	var password atomic.Value
	password.Store("first")
	var asked atomic.Int32
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 2, ClientName: "rotating",
		CredentialsProvider: func(context.Context) (string, string, error) {
			asked.Add(1)
			return "rotating", password.Load().(string), nil
		}})
	require.NoError(t, err)
	defer c.Close()
	require.EqualValues(t, 2, asked.Load())

	_, err = admin.Do(ctx, "ACL", "SETUSER", "rotating", "resetpass", ">second")
	require.NoError(t, err)
	password.Store("second")
	_, err = admin.Do(ctx, "CLIENT", "KILL", "USER", "rotating")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.Stats().Total().Reconnects >= 2 }, testTimeout, 5*time.Millisecond)
	for range 20 {
		require.NoError(t, c.Set(ctx, "k", []byte("v")))
	}
	assert.GreaterOrEqual(t, asked.Load(), int32(4))
	assert.Len(t, clientEntries(t, ctx, admin, "rotating"), 2)
}

// TestReconnectRestoresDBNameAndProtocol: after the server restarts, every
// manager's new connection is again on the DB, with the name and the
// protocol.
func TestReconnectRestoresDBNameAndProtocol(t *testing.T) {
	srv := redistest.StartT(t, "--requirepass", "pw")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 2, Password: "pw", DB: 3, ClientName: "restored"})
	require.NoError(t, err)
	defer c.Close()
	srv.Kill()
	require.NoError(t, srv.Restart(ctx))
	require.Eventually(t, func() bool { return c.Stats().Total().Reconnects >= 2 && c.Ping(ctx) == nil },
		testTimeout, 10*time.Millisecond)

	admin := adminClient(t, ctx, srv.Addr, "pw")
	entries := clientEntries(t, ctx, admin, "restored")
	require.Len(t, entries, 2)
	for _, e := range entries {
		assert.Equal(t, "3", e["db"])
		assert.Equal(t, "3", e["resp"])
	}
	require.NoError(t, c.Set(ctx, "in-db-3", []byte("x")))
	n, err := admin.Exists(ctx, "in-db-3")
	require.NoError(t, err)
	assert.Zero(t, n, "the key is in DB 3, not DB 0")
}

// TestTLS covers TLS, mutual TLS and the ways TLS goes wrong; each failure
// fails New promptly with a *ConnError that says what to check.
func TestTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	srv := tlstest.StartTLS(t, tlstest.TLSOptions{})
	mutual := tlstest.StartTLS(t, tlstest.TLSOptions{ClientAuth: tlstest.ClientAuthYes})

	connect := func(cfg redmux.Config) error {
		cfg.DialTimeout = 2 * time.Second
		c, err := redmux.New(ctx, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.Set(ctx, "tls", []byte("yes")); err != nil {
			return err
		}
		return c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error { return conn.Ping(ctx) })
	}
	wantConnError := func(t *testing.T, err error, hint string) {
		t.Helper()
		var ce *redmux.ConnError
		require.ErrorAs(t, err, &ce)
		assert.Contains(t, err.Error(), hint)
	}

	t.Run("ServerNameFromAddr", func(t *testing.T) {
		require.NoError(t, connect(redmux.Config{Addr: srv.TLSAddr, TLSConfig: srv.ClientConfig("", false)}))
	})
	t.Run("URL", func(t *testing.T) {
		cfg, err := redmux.ParseURL("rediss://" + srv.TLSAddr + "/1")
		require.NoError(t, err)
		cfg.TLSConfig.RootCAs = srv.CA.Pool()
		require.NoError(t, connect(cfg))
	})
	t.Run("TLSDialerAsDial", func(t *testing.T) {
		d := &tls.Dialer{Config: srv.ClientConfig("127.0.0.1", false)}
		require.NoError(t, connect(redmux.Config{Addr: srv.TLSAddr, Dial: d.DialContext}))
	})
	t.Run("MutualTLS", func(t *testing.T) {
		require.NoError(t, connect(redmux.Config{Addr: mutual.TLSAddr, TLSConfig: mutual.ClientConfig("", true)}))
	})
	t.Run("MutualTLSWithoutCertificate", func(t *testing.T) {
		wantConnError(t, connect(redmux.Config{Addr: mutual.TLSAddr, TLSConfig: mutual.ClientConfig("", false)}), "certificate")
	})
	t.Run("WrongCA", func(t *testing.T) {
		other := tlstest.NewCA(t)
		cfg := srv.ClientConfig("", false)
		cfg.RootCAs = other.Pool()
		wantConnError(t, connect(redmux.Config{Addr: srv.TLSAddr, TLSConfig: cfg}), "certificate")
	})
	t.Run("ClearTextToTLSPort", func(t *testing.T) {
		wantConnError(t, connect(redmux.Config{Addr: srv.TLSAddr}), "expects TLS")
	})
	t.Run("TLSToClearPort", func(t *testing.T) {
		wantConnError(t, connect(redmux.Config{Addr: srv.Addr, TLSConfig: srv.ClientConfig("", false)}), "TLS")
	})
}

// TestUnixSocket connects through a unix socket, by Config and by URL.
func TestUnixSocket(t *testing.T) {
	sock, _ := tlstest.StartUnix(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for _, connect := range []func() (*redmux.Client, error){
		func() (*redmux.Client, error) { return redmux.New(ctx, redmux.Config{Network: "unix", Addr: sock}) },
		func() (*redmux.Client, error) { return redmux.Connect(ctx, "unix://"+sock+"?db=2") },
	} {
		c, err := connect()
		require.NoError(t, err)
		require.NoError(t, c.Set(ctx, "via-unix", []byte("ok")))
		v, ok, err := c.Get(ctx, "via-unix")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "ok", string(v))
		c.Close()
	}
}

// TestConnectAcceptsURL: Connect takes a URL whose query sets the DB, the
// client name and the protocol.
func TestConnectAcceptsURL(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.Connect(ctx, "redis://"+srv.Addr+"/4?client_name=from-url&protocol=2&managers=2&dial_timeout=2s")
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, 2, c.Protocol())
	entries := clientEntries(t, ctx, c, "from-url")
	require.Len(t, entries, 2)
	assert.Equal(t, "4", entries[0]["db"])
	assert.Equal(t, "2", entries[0]["resp"])

	_, err = redmux.Connect(ctx, "redis://"+srv.Addr+"?colour=blue")
	var cfgErr *redmux.ConfigError
	assert.ErrorAs(t, err, &cfgErr)
}

// TestConnectFailsOnPeersThatAreNotRedis: an HTTP server, an SSH-like
// banner and a server that greets before being asked all fail New with a
// *ConnError saying the peer does not speak RESP or sent unasked data.
func TestConnectFailsOnPeersThatAreNotRedis(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for _, tc := range []struct {
		name, greeting, answer, want string
	}{
		{"HTTP", "", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "does not speak the Redis protocol"},
		{"SSH banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "", "does not speak the Redis protocol"},
		{"unsolicited greeting", "+Welcome\r\n", "", "HELLO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startGreeter(t, tc.greeting, tc.answer)
			_, err := redmux.New(ctx, redmux.Config{Addr: addr, HandshakeTimeout: 2 * time.Second})
			var ce *redmux.ConnError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "handshake", ce.Op)
			assert.Contains(t, err.Error(), tc.want)
			assert.False(t, errors.Is(err, context.DeadlineExceeded), "failed on what it read, not a timeout: %v", err)
		})
	}
}

// startGreeter listens on loopback; on each connection it writes greeting
// at once and, after the first read, answer; then it holds the connection
// open until the test ends.
func startGreeter(t *testing.T, greeting, answer string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		conns.Wait()
	})
	conns.Add(1)
	go func() {
		defer conns.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer nc.Close()
				_, _ = nc.Write([]byte(greeting))
				buf := make([]byte, 4096)
				if _, err := nc.Read(buf); err != nil {
					return
				}
				_, _ = nc.Write([]byte(answer))
				_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
				for {
					if _, err := nc.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// TestFallbackToRESP2OnServerWithoutHello: a server that does not know
// HELLO (before Redis 6) gets the RESP2 handshake with Protocol 0, fails
// the connect with Protocol 3, and is never sent HELLO with Protocol 2.
func TestFallbackToRESP2OnServerWithoutHello(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	first := func(srv *fakeredis.Server) []string {
		got := srv.Received()
		require.NotEmpty(t, got)
		return got[0]
	}

	srv := fakeredis.Start(t, fakeredis.AnswerHandshake(), fakeredis.WithHandler(fakeredis.Echo))
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1, Password: "pw", ClientName: "old"})
	require.NoError(t, err)
	assert.Equal(t, 2, c.Protocol())
	echo, err := c.Echo(ctx, "still works")
	require.NoError(t, err)
	assert.Equal(t, "still works", echo)
	c.Close()
	var names []string
	for _, cmd := range srv.Received() {
		names = append(names, strings.Join(cmd[:min(2, len(cmd))], " "))
	}
	assert.Equal(t, []string{"HELLO 3", "AUTH pw", "CLIENT SETNAME", "CLIENT SETINFO", "CLIENT SETINFO", "PING", "ECHO still works"}, names)

	forced := fakeredis.Start(t, fakeredis.AnswerHandshake())
	_, err = redmux.New(ctx, redmux.Config{Addr: forced.Addr(), Managers: 1, Protocol: 3})
	var ce *redmux.ConnError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "HELLO 3")
	assert.Contains(t, err.Error(), "unknown command")

	resp2 := fakeredis.Start(t, fakeredis.AnswerHandshake())
	c, err = redmux.New(ctx, redmux.Config{Addr: resp2.Addr(), Managers: 1, Protocol: 2})
	require.NoError(t, err)
	c.Close()
	assert.Equal(t, []string{"CLIENT", "SETINFO", "LIB-NAME", "redmux"}, first(resp2), "no HELLO with Protocol 2")
}

// TestPushFramesGoToOnPushNeverToCallers: on RESP3 shared connections, a
// push frame arriving before a reply reaches Config.OnPush and the caller
// still gets its own reply.
func TestPushFramesGoToOnPushNeverToCallers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	const push = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n"
	srv := fakeredis.Start(t, fakeredis.WithHandler(func(c *fakeredis.Conn, cmd []string) {
		switch strings.ToUpper(cmd[0]) {
		case "HELLO":
			_ = c.SendRaw("%3\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n+version\r\n+7.2.0\r\n")
		case "GET":
			_ = c.SendRaw(push + "$5\r\nvalue\r\n")
		default:
			_ = c.Send(fakeredis.Answer(cmd))
		}
	}))
	pushes := make(chan redmux.Value, 16)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 2, OnPush: func(v redmux.Value) {
		select {
		case pushes <- v:
		default:
		}
	}})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, 3, c.Protocol())
	for range 3 {
		v, found, err := c.Get(ctx, "key")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, "value", string(v))
	}
	for range 3 {
		v := testwait.WaitFor(t, pushes, "a push frame")
		assert.Equal(t, resp.TypePush, v.Type())
		parts, err := v.Array()
		require.NoError(t, err)
		require.Len(t, parts, 2)
		kind, _ := parts[0].Text()
		keys, _ := parts[1].Strings()
		assert.Equal(t, "invalidate", kind)
		assert.Equal(t, []string{"key"}, keys)
	}
}

// TestRegressionUnknownHelloQuotesPassword: a server without HELLO echoes
// the command's arguments in its error ("with args beginning with: '3'
// 'AUTH' 'default' '<password>'"); with Protocol 3 that error failed New
// with the password in its message.
func TestRegressionUnknownHelloQuotesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	srv := fakeredis.Start(t, fakeredis.WithHandler(func(c *fakeredis.Conn, cmd []string) {
		quoted := ""
		for _, a := range cmd[1:] {
			quoted += "'" + a + "' "
		}
		_ = c.SendRaw("-ERR unknown command '" + cmd[0] + "', with args beginning with: " + quoted + "\r\n")
	}))
	_, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Protocol: 3, Password: "s3cret-pw"})
	var rerr *redmux.RedisError
	require.ErrorAs(t, err, &rerr)
	assert.NotContains(t, err.Error(), "s3cret-pw")
	assert.NotContains(t, rerr.Message, "s3cret-pw")
	assert.Contains(t, err.Error(), "[password]")
}

// TestRegressionDedicatedRESP3PushTakenAsReply: on a dedicated RESP3
// connection, a push frame (a tracking invalidation, a pub/sub message)
// was read as the reply of the next command, and every reply after it
// was one behind. Invalidations now go to OnPush; SUBSCRIBE is refused
// there (subscriptions have their own connections).
func TestRegressionDedicatedRESP3PushTakenAsReply(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	pushes := make(chan redmux.Value, 4)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, OnPush: func(v redmux.Value) { pushes <- v }})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, 3, c.Protocol())
	require.NoError(t, c.Set(ctx, "tracked", []byte("1")))
	require.NoError(t, c.Set(ctx, "other", []byte("2")))

	err = c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		if _, err := conn.Do(ctx, "CLIENT", "TRACKING", "ON"); err != nil {
			return err
		}
		if _, _, err := conn.Get(ctx, "tracked"); err != nil {
			return err
		}
		if err := c.Set(ctx, "tracked", []byte("changed")); err != nil { // invalidates
			return err
		}
		v, _, err := conn.Get(ctx, "other")
		if err != nil || string(v) != "2" {
			return fmt.Errorf("GET other after an invalidation = %q, %v; want \"2\"", v, err)
		}
		return nil
	})
	require.NoError(t, err)
	push := testwait.WaitFor(t, pushes, "the invalidation to reach OnPush")
	assert.Equal(t, resp.TypePush, push.Type())

	// SUBSCRIBE belongs to a Subscription: a dedicated connection refuses
	// it before sending, and stays usable.
	err = c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		_, err := conn.Do(ctx, "SUBSCRIBE", "news")
		if !errors.Is(err, redmux.ErrNeedsDedicated) || !strings.Contains(err.Error(), "Client.Subscribe") {
			return fmt.Errorf("SUBSCRIBE on a dedicated connection: %v", err)
		}
		v, _, err := conn.Get(ctx, "other")
		if err != nil || string(v) != "2" {
			return fmt.Errorf("GET after a refused SUBSCRIBE = %q, %v", v, err)
		}
		return nil
	})
	require.NoError(t, err)
}
