package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

// NewFailover against real sentinels, masters and replicas started by the
// tests (internal/redistest): it finds the master, survives its SIGKILL
// under load, follows a manual failover with no request to notice it, and
// fails clearly when the sentinels cannot help.

const (
	// sentinelTestTimeout bounds each test; a failover takes a few
	// seconds with the harness's short sentinel periods.
	sentinelTestTimeout = 45 * time.Second
	// failoverWithin bounds how soon writes succeed again after the
	// master is lost: the sentinels' down-after-milliseconds (1 s), the
	// election and the switch, with room for a loaded CI machine.
	failoverWithin = 30 * time.Second
)

// sentinelContext is a context that ends with the test, or after
// sentinelTestTimeout.
func sentinelContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), sentinelTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// sentinelClient connects with NewFailover to the master of s, with node
// configuring its connections, and closes it when the test ends.
func sentinelClient(t *testing.T, ctx context.Context, s *redistest.Sentinels, node redmux.Config) *redmux.Client {
	t.Helper()
	c, err := redmux.NewFailover(ctx, redmux.FailoverConfig{MasterName: s.MasterName, SentinelAddrs: s.SentinelAddrs(), Node: node})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// roleOf returns the first element of ROLE's reply through c.
func roleOf(t *testing.T, ctx context.Context, c *redmux.Client) string {
	t.Helper()
	v, err := c.Do(ctx, "ROLE")
	require.NoError(t, err)
	elems, err := v.Array()
	require.NoError(t, err)
	require.NotEmpty(t, elems)
	role, err := elems[0].Text()
	require.NoError(t, err)
	return role
}

// TestNewFailoverConnectsToTheMasterSentinelsName: every connection of the
// client, in RESP3 and in RESP2 (where the role check is a ROLE command),
// goes to the master the sentinels name; commands work through it, and
// ROLE through it says master.
func TestNewFailoverConnectsToTheMasterSentinelsName(t *testing.T) {
	s := redistest.StartSentinelsT(t, "first", 1, 2)
	ctx := sentinelContext(t)
	master := adminClient(t, ctx, s.Master.Addr, "")
	for _, proto := range []int{0, 2} {
		t.Run(fmt.Sprintf("Protocol=%d", proto), func(t *testing.T) {
			name := fmt.Sprintf("finds-master-%d", proto)
			c := sentinelClient(t, ctx, s, redmux.Config{Managers: 3, ClientName: name, Protocol: proto})
			require.NoError(t, c.Set(ctx, "k", []byte(name)))
			v, found, err := c.Get(ctx, "k")
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, name, string(v))
			assert.Equal(t, "master", roleOf(t, ctx, c))
			require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error { return conn.Ping(ctx) }))
			assert.Len(t, clientEntries(t, ctx, master, name), 4, "three managers and a dedicated connection on the master")
		})
	}
}

// writeLoad is a bounded load of writes from several goroutines through
// one client: each writer paces itself and bounds every call, until stop.
type writeLoad struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	since    atomic.Int64 // UnixNano: successes of writes begun after it are timed
	firstOK  atomic.Int64 // UnixNano of the first such success, 0 before
	ok, errs atomic.Int64

	mu       sync.Mutex
	firstErr error   // for the log
	untyped  []error // errors that are not *ConnError, *RedisError or a context's
}

const (
	loadWriters  = 8
	loadInterval = 2 * time.Millisecond // per writer: a load, not a flood
	loadCallTime = 2 * time.Second      // bounds each write
)

// startWriteLoad starts the writers; the test's cleanup stops them.
func startWriteLoad(t *testing.T, c *redmux.Client) *writeLoad {
	l := &writeLoad{stop: make(chan struct{})}
	for w := range loadWriters {
		l.wg.Add(1)
		go l.write(c, w)
	}
	t.Cleanup(l.end)
	return l
}

func (l *writeLoad) write(c *redmux.Client, w int) {
	defer l.wg.Done()
	tick := time.NewTicker(loadInterval)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		begun := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), loadCallTime)
		err := c.Set(ctx, fmt.Sprintf("load:%d:%d", w, i), []byte("x"))
		cancel()
		l.record(begun, err)
	}
}

func (l *writeLoad) record(begun time.Time, err error) {
	if err != nil {
		l.errs.Add(1)
		var ce *redmux.ConnError
		var re *redmux.RedisError
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.firstErr == nil {
			l.firstErr = err
		}
		if !errors.As(err, &ce) && !errors.As(err, &re) && !errors.Is(err, context.DeadlineExceeded) {
			l.untyped = append(l.untyped, err)
		}
		return
	}
	l.ok.Add(1)
	if since := l.since.Load(); since != 0 && begun.UnixNano() > since {
		l.firstOK.CompareAndSwap(0, time.Now().UnixNano())
	}
}

// timeFrom starts timing successes of writes begun from now on.
func (l *writeLoad) timeFrom() time.Time {
	now := time.Now()
	l.since.Store(now.UnixNano())
	return now
}

// end stops the writers and waits for them. Safe to call twice.
func (l *writeLoad) end() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

func (l *writeLoad) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d writes succeeded, %d failed (the first: %v), untyped errors: %v", l.ok.Load(), l.errs.Load(), l.firstErr, l.untyped)
}

// TestFailoverSurvivesMasterSIGKILLUnderLoad: the master is SIGKILLed
// while several goroutines write through one client. Every failure is a
// typed error (*ConnError, *RedisError, a context's), writes succeed again
// within failoverWithin, on the replica the sentinels promoted, and a
// write a replica acknowledged (WAIT) before the kill is read back through
// the same client.
func TestFailoverSurvivesMasterSIGKILLUnderLoad(t *testing.T) {
	s := redistest.StartSentinelsT(t, "killed", 1, 3)
	ctx := sentinelContext(t)
	c := sentinelClient(t, ctx, s, redmux.Config{Managers: 4, ClientName: "sigkill"})
	// WAIT counts the replicas that have the writes of its own connection:
	// the SET goes on the same one (Client.Do would run WAIT on a
	// dedicated connection that wrote nothing, and it would return at once).
	require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		require.NoError(t, conn.Set(ctx, "before-the-kill", []byte("kept")))
		v, err := conn.Do(ctx, "WAIT", 1, 1000)
		require.NoError(t, err)
		acked, err := v.Int64()
		require.NoError(t, err)
		require.GreaterOrEqual(t, acked, int64(1), "no replica acknowledged the write")
		return nil
	}))

	load := startWriteLoad(t, c)
	testwait.Eventually(t, "the load to get going", func() bool { return load.ok.Load() >= 100 })
	old := s.Master.Addr
	killed := load.timeFrom()
	s.Master.Kill()
	testwait.EventuallyWithin(t, failoverWithin, "a write to succeed after the kill", func() bool { return load.firstOK.Load() != 0 })
	recovered := time.Unix(0, load.firstOK.Load()).Sub(killed)
	t.Logf("first successful write %v after the master's SIGKILL", recovered)
	okThen := load.ok.Load()
	testwait.Eventually(t, "writes to go on succeeding", func() bool { return load.ok.Load() >= okThen+100 })
	load.end()

	assert.Empty(t, load.untyped, "%v", load)
	t.Logf("load: %v", load)
	got, found, err := c.Get(ctx, "before-the-kill")
	require.NoError(t, err)
	require.True(t, found, "the acknowledged write was lost")
	assert.Equal(t, "kept", string(got))
	assert.Equal(t, "master", roleOf(t, ctx, c))
	now, err := s.MasterAddr(ctx)
	require.NoError(t, err)
	require.NotEqual(t, old, now, "the sentinels still name the killed master")
	newAdmin := adminClient(t, ctx, now, "")
	testwait.Eventually(t, "every manager on the new master", func() bool { return namedConns(ctx, newAdmin, "sigkill") == 4 })
}

// namedConns counts the connections named name in CLIENT LIST on the
// server admin reaches, or returns -1 when CLIENT LIST fails: a sentinel
// reconfiguring a server kills its clients, the admin's too, which then
// reconnects.
func namedConns(ctx context.Context, admin *redmux.Client, name string) int {
	v, err := admin.Do(ctx, "CLIENT", "LIST")
	if err != nil {
		return -1
	}
	text, err := v.Text()
	if err != nil {
		return -1
	}
	return strings.Count(text, " name="+name+" ")
}

// TestFailoverFollowsSwitchMaster: SENTINEL FAILOVER moves the master
// while the old one stays up, and the old master is made to refuse the
// sentinels' demotion (which would kill its clients): no connection
// breaks, so only the sentinels' +switch-master announcement is left to
// move the client. With no request sent to notice anything, every
// connection, the subscription's included, moves to the new master;
// writes then succeed there, ROLE through the client says master, and a
// message published on the new master reaches the subscription.
func TestFailoverFollowsSwitchMaster(t *testing.T) {
	s := redistest.StartSentinelsT(t, "manual", 1, 3)
	ctx := sentinelContext(t)
	const managers = 3
	c := sentinelClient(t, ctx, s, redmux.Config{Managers: managers, ClientName: "follower"})
	sub, err := c.Subscribe(ctx, "news")
	require.NoError(t, err)
	defer sub.Close()
	oldAdmin := adminClient(t, ctx, s.Master.Addr, "")
	newAdmin := adminClient(t, ctx, s.Replicas[0].Addr, "")
	require.Equal(t, managers+1, namedConns(ctx, oldAdmin, "follower"))
	require.Zero(t, namedConns(ctx, newAdmin, "follower"))
	// The sentinels demote with MULTI, REPLICAOF, CONFIG REWRITE, CLIENT
	// KILL, EXEC: refused, it leaves the old master a master, its
	// connections open.
	_, err = oldAdmin.Do(ctx, "ACL", "SETUSER", "default", "-replicaof", "-slaveof", "-client|kill")
	require.NoError(t, err)

	sentinel, err := redmux.New(ctx, redmux.Config{Addr: s.SentinelAddrs()[0], Managers: 1})
	require.NoError(t, err)
	defer sentinel.Close()
	began := time.Now()
	_, err = sentinel.Do(ctx, "SENTINEL", "FAILOVER", s.MasterName)
	require.NoError(t, err)
	testwait.EventuallyWithin(t, failoverWithin, "every connection on the new master", func() bool {
		return namedConns(ctx, newAdmin, "follower") == managers+1
	})
	moved := time.Since(began)
	testwait.Eventually(t, "no connection left on the old master", func() bool {
		return namedConns(ctx, oldAdmin, "follower") == 0
	})
	require.NoError(t, c.Set(ctx, "after-the-switch", []byte("written")))
	t.Logf("every connection on the new master %v after SENTINEL FAILOVER, first write %v after it", moved, time.Since(began))
	assert.Equal(t, "master", roleOf(t, ctx, c))
	assert.Equal(t, "master", roleOf(t, ctx, oldAdmin), "the old master was demoted: its connections may have been killed")
	// A server lists a connection by name from HELLO on, a moment before
	// its manager is done with the handshake and counts the reconnect.
	testwait.Eventually(t, "every manager to count its reconnect", func() bool {
		return c.Stats().Total().Reconnects >= managers
	})

	_, err = newAdmin.Publish(ctx, "news", "on the new master")
	require.NoError(t, err)
	msgCtx, cancel := context.WithTimeout(ctx, testwait.Limit)
	defer cancel()
	msg, err := sub.Receive(msgCtx)
	require.NoError(t, err)
	assert.Equal(t, "on the new master", string(msg.Payload))
}

// TestNewFailoverUnknownMasterFailsPromptly: a name the sentinels do not
// monitor fails NewFailover at once with a *ConnError that matches
// ErrUnknownMaster and names the master and each sentinel asked, leaving
// nothing running.
func TestNewFailoverUnknownMasterFailsPromptly(t *testing.T) {
	s := redistest.StartSentinelsT(t, "known", 0, 2)
	ctx := sentinelContext(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // nothing left running
	began := time.Now()
	_, err := redmux.NewFailover(ctx, redmux.FailoverConfig{MasterName: "unknown", SentinelAddrs: s.SentinelAddrs()})
	took := time.Since(began)
	var ce *redmux.ConnError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, redmux.ErrUnknownMaster)
	assert.Equal(t, "dial", ce.Op)
	assert.Contains(t, err.Error(), `"unknown"`)
	for _, addr := range s.SentinelAddrs() {
		assert.Contains(t, err.Error(), addr)
	}
	assert.Less(t, took, 2*time.Second, "not retried")
	t.Logf("%v (in %v)", err, took)
}

// TestNewFailoverNoSentinelReachableNamesEach: with no sentinel listening,
// NewFailover fails at once with a *ConnError naming each sentinel and
// why it could not be asked, leaving nothing running.
func TestNewFailoverNoSentinelReachableNamesEach(t *testing.T) {
	ctx := sentinelContext(t)
	addrs := []string{closedPort(t), closedPort(t)}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // nothing left running
	began := time.Now()
	_, err := redmux.NewFailover(ctx, redmux.FailoverConfig{MasterName: "nowhere", SentinelAddrs: addrs})
	took := time.Since(began)
	var ce *redmux.ConnError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.Equal(t, "sentinel:nowhere", ce.Addr)
	for _, addr := range addrs {
		assert.Contains(t, err.Error(), "sentinel "+addr+": dial")
	}
	assert.Less(t, took, 2*time.Second, "not retried")
	t.Logf("%v (in %v)", err, took)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestNewFailoverSentinelPassword: sentinels with a password of their own
// refuse a client without it (NOAUTH) or with a wrong one (WRONGPASS,
// never shown), and serve one with the right one; the data servers'
// password is Node.Password, as with New.
func TestNewFailoverSentinelPassword(t *testing.T) {
	s := redistest.StartSentinelsWithT(t, redistest.SentinelOptions{
		MasterName: "guarded", Replicas: 0, Sentinels: 2,
		ServerArgs: []string{"--requirepass", "data-pass"}, SentinelPassword: "sentinel-pass",
	})
	ctx := sentinelContext(t)
	cfg := redmux.FailoverConfig{MasterName: s.MasterName, SentinelAddrs: s.SentinelAddrs(), Node: redmux.Config{Password: "data-pass"}}

	_, err := redmux.NewFailover(ctx, cfg)
	var ce *redmux.ConnError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "NOAUTH")

	cfg.SentinelPassword = "wrong-sentinel-pass"
	_, err = redmux.NewFailover(ctx, cfg)
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "WRONGPASS")
	assert.NotContains(t, err.Error(), "wrong-sentinel-pass")

	cfg.SentinelPassword = "sentinel-pass"
	c, err := redmux.NewFailover(ctx, cfg)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	assert.Equal(t, "master", roleOf(t, ctx, c))
}

// TestNewFailoverConfigErrorsNameTheField: each invalid field is a
// *ConfigError naming it; Node's are prefixed "Node.", and the message
// names FailoverConfig. Nothing is dialed.
func TestNewFailoverConfigErrorsNameTheField(t *testing.T) {
	ctx := sentinelContext(t)
	for _, tc := range []struct {
		field  string
		change func(*redmux.FailoverConfig)
	}{
		{"MasterName", func(f *redmux.FailoverConfig) { f.MasterName = "" }},
		{"SentinelAddrs", func(f *redmux.FailoverConfig) { f.SentinelAddrs = nil }},
		{"SentinelAddrs[1]", func(f *redmux.FailoverConfig) { f.SentinelAddrs = append(f.SentinelAddrs, "no-port") }},
		{"Node.Addr", func(f *redmux.FailoverConfig) { f.Node.Addr = "127.0.0.1:6379" }},
		{"Node.Network", func(f *redmux.FailoverConfig) { f.Node.Network = "unix" }},
		{"Node.DialTimeout", func(f *redmux.FailoverConfig) { f.Node.DialTimeout = -time.Second }},
		{"Node.Managers", func(f *redmux.FailoverConfig) { f.Node.Managers = 5000 }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			cfg := redmux.FailoverConfig{MasterName: "m", SentinelAddrs: []string{closedPort(t)}}
			tc.change(&cfg)
			_, err := redmux.NewFailover(ctx, cfg)
			var cerr *redmux.ConfigError
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, tc.field, cerr.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "redmux: FailoverConfig."+tc.field+" "), err.Error())
		})
	}
}

// TestFailoverCloseLeavesNoGoroutine: closing the last handle stops the
// watch on the sentinels with everything else, also while the watch is
// retrying because every sentinel is gone; a clone keeps it all running
// until it is closed too.
func TestFailoverCloseLeavesNoGoroutine(t *testing.T) {
	s := redistest.StartSentinelsT(t, "leaks", 0, 2)
	ctx := sentinelContext(t)
	before := goleak.IgnoreCurrent()
	c, err := redmux.NewFailover(ctx, redmux.FailoverConfig{MasterName: s.MasterName, SentinelAddrs: s.SentinelAddrs()})
	require.NoError(t, err)
	sub, err := c.Subscribe(ctx, "channel")
	require.NoError(t, err)
	require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error { return conn.Ping(ctx) }))

	clone := c.Clone()
	require.NoError(t, c.Close())
	require.NoError(t, clone.Set(ctx, "k", []byte("v")), "the clone is still open")
	for _, sen := range s.Sentinels {
		sen.Kill()
	}
	waitUntilBlockedIn(t, "(*switchWatch).sleep") // between two attempts
	require.NoError(t, clone.Close())
	require.NoError(t, sub.Close())
	goleak.VerifyNone(t, before)
}
