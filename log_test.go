package redmux_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/logtest"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// Config.Logger, end to end: the records a real server, a fake cluster
// and a stand-in sentinel make the client write. The manager's own tests
// (manager/log_test.go) check each of its records in detail.

// The messages of the records these tests look for.
const (
	logConnected   = "redmux: connected"
	logLost        = "redmux: connection lost"
	logAttempt     = "redmux: reconnect attempt failed"
	logReconnected = "redmux: reconnected"
	logHandshake   = "redmux: handshake failed"
	logTopology    = "redmux: cluster topology changed"
	logResubscribe = "redmux: resubscribed"
	logSwitched    = "redmux: master switched"
)

// attrs returns the attributes of r named in keys, as Go values, for one
// comparison.
func attrs(r logtest.Record, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := r.Attrs[k]; ok {
			out[k] = v.Any()
		}
	}
	return out
}

// killClient closes the server's end of the connection named name.
func killClient(t *testing.T, ctx context.Context, admin *redmux.Client, name string) {
	t.Helper()
	entries := clientEntries(t, ctx, admin, name)
	require.Len(t, entries, 1, "one connection named %s", name)
	_, err := admin.Do(ctx, "CLIENT", "KILL", "ID", entries[0]["id"])
	require.NoError(t, err)
}

// TestLogReconnectProducesOneRecordWithItsCause: a connection the server
// kills gives one "connection lost" at Warn and, once replaced, exactly
// one "reconnected" at Info, both with the cause (the read that failed),
// the reconnect with its attempts and downtime too.
func TestLogReconnectProducesOneRecordWithItsCause(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	admin := adminClient(t, ctx, srv.Addr, "")
	rec, logger := logtest.New()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1, ClientName: "logged", Logger: logger})
	require.NoError(t, err)
	connected := rec.Find(logConnected)
	require.Len(t, connected, 1, "New logs its manager's connection")
	assert.Equal(t, slog.LevelInfo, connected[0].Level)
	assert.Equal(t, srv.Addr, connected[0].Attrs["addr"].String())

	killClient(t, ctx, admin, "logged")
	rec.WaitFor(t, logReconnected, 1)
	require.NoError(t, c.Ping(ctx))
	require.NoError(t, c.Close()) // no record can come after this
	assert.EqualValues(t, 1, c.Stats().Total().Reconnects)

	back := rec.Find(logReconnected)
	require.Len(t, back, 1, "one reconnect, one record")
	assert.Equal(t, slog.LevelInfo, back[0].Level)
	assert.Equal(t, map[string]any{"addr": srv.Addr, "attempts": int64(1)}, attrs(back[0], "addr", "attempts"))
	assert.Positive(t, back[0].Attrs["downtime"].Duration())
	cause := back[0].Err("cause")
	var ce *redmux.ConnError
	require.ErrorAs(t, cause, &ce, "the cause: %s", back[0].Text)
	assert.Equal(t, "read", ce.Op)
	assert.ErrorIs(t, cause, io.EOF, "the server closed the connection")

	lost := rec.Find(logLost)
	require.Len(t, lost, 1)
	assert.Equal(t, slog.LevelWarn, lost[0].Level)
	assert.Equal(t, cause, lost[0].Err("cause"), "the loss and the reconnect name the same cause")
	assert.Zero(t, rec.Count(logAttempt), "the first attempt succeeded")
}

// TestLogHandshakeFailureNeverShowsThePassword: a refused password is
// logged at Warn, with the server's reason, whether it fails New (HELLO
// AUTH on RESP3, AUTH on RESP2) or a reconnect after the password
// changed, and no record ever holds the password; the refused reconnect
// attempts are logged with their backoff.
func TestLogHandshakeFailureNeverShowsThePassword(t *testing.T) {
	const right, wrong, rotated = "right-pw-7f3a", "wrong-pw-91c2", "rotated-pw-5d0e"
	srv := redistest.StartT(t, "--requirepass", right)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	rec, logger := logtest.New()
	for _, proto := range []int{0, 2} {
		_, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1, Password: wrong, Protocol: proto, Logger: logger})
		require.Error(t, err, "Protocol %d", proto)
	}
	failed := rec.Find(logHandshake)
	require.Len(t, failed, 2, "one per New")
	for _, r := range failed {
		assert.Equal(t, slog.LevelWarn, r.Level)
		assert.Equal(t, srv.Addr, r.Attrs["addr"].String())
		assert.Contains(t, r.Text, "WRONGPASS")
	}

	admin := adminClient(t, ctx, srv.Addr, right)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1, Password: right, ClientName: "rotating",
		BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Logger: logger})
	require.NoError(t, err)
	defer c.Close()
	_, err = admin.Do(ctx, "CONFIG", "SET", "requirepass", rotated)
	require.NoError(t, err)
	killClient(t, ctx, admin, "rotating")
	attempts := rec.WaitFor(t, logAttempt, 2)
	_, err = admin.Do(ctx, "CONFIG", "SET", "requirepass", right)
	require.NoError(t, err)
	rec.WaitFor(t, logReconnected, 1)

	for i, r := range attempts[:2] {
		assert.Equal(t, slog.LevelWarn, r.Level)
		assert.EqualValues(t, i+1, r.Attrs["attempt"].Int64())
		assert.Contains(t, r.Text, "WRONGPASS")
		assert.Positive(t, r.Attrs["backoff"].Duration())
	}
	assert.GreaterOrEqual(t, rec.Count(logHandshake), 2+2, "the reconnect's refused handshakes too")
	require.NoError(t, c.Close())
	for _, r := range rec.Records() {
		for _, pw := range []string{right, wrong, rotated} {
			assert.NotContains(t, r.Text, pw, "a record shows a password")
		}
	}
}

// TestLogClusterTopologyChangeOnlyWhenItChanges: the first load and the
// reloads that find the same topology log nothing; a reload that finds a
// new master serving half the slots logs it once, at Info.
func TestLogClusterTopologyChangeOnlyWhenItChanges(t *testing.T) {
	ft := &fakeTopology{}
	var down atomic.Bool // the next command is answered CLUSTERDOWN, which asks for a reload
	answer := func(*fakeNode, []string) resp.Value {
		if down.CompareAndSwap(true, false) {
			return resp.SimpleError("CLUSTERDOWN reload please")
		}
		return bulk("v")
	}
	a := startFakeNode(t, ft, answer)
	b := startFakeNode(t, ft, answer)
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	rec, logger := logtest.New()
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{MinRefreshInterval: time.Millisecond, Node: redmux.Config{Logger: logger}})
	ctx := clusterCtx(t, testTimeout)
	reload := func() {
		t.Helper()
		before := c.ClusterStats().Refreshes
		down.Store(true)
		_, _, err := c.Get(ctx, "k")
		require.NoError(t, err)
		testwait.Eventually(t, "a reload", func() bool { return c.ClusterStats().Refreshes > before })
	}

	reload()
	assert.Zero(t, rec.Count(logTopology), "neither the first load nor a reload without change is logged")

	ft.set(t, map[string][][2]int{a.Addr(): {{0, 8191}}, b.Addr(): {{8192, 16383}}})
	reload()
	reload()
	changed := rec.Find(logTopology)
	require.Len(t, changed, 1, "one change, one record")
	assert.Equal(t, slog.LevelInfo, changed[0].Level)
	assert.Equal(t, map[string]any{
		"masters": int64(2), "replicas": int64(0), "slots_moved": int64(8192),
		"masters_added": []string{b.Addr()}, "masters_removed": []string{},
		"replicas_added": []string{}, "replicas_removed": []string{},
	}, attrs(changed[0], "masters", "replicas", "slots_moved", "masters_added", "masters_removed",
		"replicas_added", "replicas_removed"))
}

// TestLogSubscriptionResubscribed: a Subscription whose connection is
// killed logs, once back and answered, how many channels and patterns it
// subscribed to again and how many the server refused (here, after an ACL
// change, which also makes Redis drop the connection).
func TestLogSubscriptionResubscribed(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	admin := adminClient(t, ctx, srv.Addr, "")
	for _, proto := range pubsubProtocols {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			_, err := admin.Do(ctx, "ACL", "SETUSER", "listener", "on", ">pw", "~*", "+@all", "resetchannels", "&a", "&b", "&p.*")
			require.NoError(t, err)
			rec, logger := logtest.New()
			c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1, Protocol: proto, Username: "listener", Password: "pw",
				BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Logger: logger})
			require.NoError(t, err)
			defer c.Close()
			sub, err := c.Subscribe(ctx, "a", "b")
			require.NoError(t, err)
			defer sub.Close()
			require.NoError(t, sub.PSubscribe(ctx, "p.*"))
			assert.Zero(t, rec.Count(logResubscribe), "the first subscription is no resubscription")

			_, err = admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub")
			require.NoError(t, err)
			first := rec.WaitFor(t, logResubscribe, 1)[0]
			assert.Equal(t, slog.LevelInfo, first.Level)
			keys := []string{"addr", "channels", "patterns", "shard_channels", "refused"}
			assert.Equal(t, map[string]any{"addr": srv.Addr, "channels": int64(2), "patterns": int64(1),
				"shard_channels": int64(0), "refused": int64(0)}, attrs(first, keys...))

			_, err = admin.Do(ctx, "ACL", "SETUSER", "listener", "resetchannels", "&a", "&p.*") // drops the subscriber
			require.NoError(t, err)
			second := rec.WaitFor(t, logResubscribe, 2)[1]
			assert.Equal(t, map[string]any{"addr": srv.Addr, "channels": int64(2), "patterns": int64(1),
				"shard_channels": int64(0), "refused": int64(1)}, attrs(second, keys...), "b is refused")
			require.NoError(t, sub.Close())
			assert.Equal(t, 2, rec.Count(logResubscribe), "one record per reconnect")
		})
	}
}

// TestLogSentinelSwitchNamesOldAndNewMaster: a +switch-master from the
// sentinel logs the old and the new master at Info, and the connections
// that follow it log their reconnect with the switch as the cause.
func TestLogSentinelSwitchNamesOldAndNewMaster(t *testing.T) {
	oldMaster, newMaster := redistest.StartT(t), redistest.StartT(t)
	f := &fakeSentinel{name: "logged"}
	f.names(oldMaster.Addr)
	subscribed := make(chan *fakeredis.Conn, 8)
	f.srv = fakeredis.Start(t, fakeredis.WithHandler(func(c *fakeredis.Conn, cmd []string) {
		f.answer(c, cmd)
		if strings.EqualFold(cmd[0], "SUBSCRIBE") {
			subscribed <- c
		}
	}))
	ctx := sentinelContext(t)
	rec, logger := logtest.New()
	c, err := redmux.NewFailover(ctx, redmux.FailoverConfig{MasterName: "logged", SentinelAddrs: []string{f.srv.Addr()},
		Node: redmux.Config{Managers: 1, Logger: logger}})
	require.NoError(t, err)
	defer c.Close()
	watch := testwait.WaitFor(t, subscribed, "the watch to subscribe to +switch-master")

	f.names(newMaster.Addr)
	oldHost, oldPort, _ := net.SplitHostPort(oldMaster.Addr)
	newHost, newPort, _ := net.SplitHostPort(newMaster.Addr)
	require.NoError(t, watch.Send(resp.ArrayOf(bulk("message"), bulk("+switch-master"),
		bulk(strings.Join([]string{"logged", oldHost, oldPort, newHost, newPort}, " ")))))
	rec.WaitFor(t, logReconnected, 1)
	require.NoError(t, c.Close())

	switched := rec.Find(logSwitched)
	require.Len(t, switched, 1)
	assert.Equal(t, slog.LevelInfo, switched[0].Level)
	assert.Equal(t, map[string]any{"master": "logged", "old": oldMaster.Addr, "new": newMaster.Addr},
		attrs(switched[0], "master", "old", "new"))
	back := rec.Find(logReconnected)
	require.Len(t, back, 1)
	assert.Equal(t, newMaster.Addr, back[0].Attrs["addr"].String())
	assert.Contains(t, back[0].Err("cause").Error(), "the master changed")
	var ce *redmux.ConnError
	require.ErrorAs(t, back[0].Err("cause"), &ce)
	assert.Equal(t, oldMaster.Addr, ce.Addr, "the connection left was the old master's")
}
