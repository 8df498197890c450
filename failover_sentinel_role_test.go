package redmux_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// What NewFailover's connections check, with real data servers and a
// stand-in sentinel that names whichever of them a test chooses: real
// sentinels name a replica only in the moments of a failover, too briefly
// to test against.

// fakeSentinel answers SENTINEL GET-MASTER-ADDR-BY-NAME for one name with
// the address the test set, SUBSCRIBE with a confirmation and PING as a
// subscribed connection does; it never announces a switch.
type fakeSentinel struct {
	name   string
	master atomic.Pointer[string]
	srv    *fakeredis.Server
}

func startFakeSentinel(t *testing.T, name, master string) *fakeSentinel {
	f := &fakeSentinel{name: name}
	f.names(master)
	f.srv = fakeredis.Start(t, fakeredis.WithHandler(f.answer))
	return f
}

// names makes the sentinel name addr as the master from now on.
func (f *fakeSentinel) names(addr string) { f.master.Store(&addr) }

func (f *fakeSentinel) answer(c *fakeredis.Conn, cmd []string) {
	bulk := func(s string) resp.Value { return resp.BulkString([]byte(s)) }
	switch strings.ToUpper(cmd[0]) {
	case "SENTINEL":
		if len(cmd) != 3 || !strings.EqualFold(cmd[1], "GET-MASTER-ADDR-BY-NAME") || cmd[2] != f.name {
			_ = c.Send(resp.NullArray())
			return
		}
		host, port, _ := net.SplitHostPort(*f.master.Load())
		_ = c.Send(resp.ArrayOf(bulk(host), bulk(port)))
	case "SUBSCRIBE":
		_ = c.Send(resp.ArrayOf(bulk("subscribe"), bulk(cmd[1]), resp.Integer(1)))
	case "PING":
		_ = c.Send(resp.ArrayOf(bulk("pong"), bulk("")))
	default:
		_ = c.Send(resp.SimpleError("ERR unknown command"))
	}
}

// masterAndReplica starts a master and a replica of it.
func masterAndReplica(t *testing.T) (master, replica *redistest.Server) {
	master = redistest.StartT(t)
	replica = redistest.StartT(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	return master, replica
}

// TestFailoverRefusesAReplicaAndRetries: a connection that reaches a
// replica fails with ErrNotMaster, naming the replica, in RESP3 (HELLO's
// role) and RESP2 (ROLE): NewFailover fails, and a reconnect keeps
// failing, each time asking the sentinel again, until it names a master.
func TestFailoverRefusesAReplicaAndRetries(t *testing.T) {
	master, replica := masterAndReplica(t)
	fake := startFakeSentinel(t, "fake", replica.Addr)
	ctx := sentinelContext(t)
	cfg := redmux.FailoverConfig{MasterName: "fake", SentinelAddrs: []string{fake.srv.Addr()}, Node: redmux.Config{
		Managers: 2, ClientName: "role-check", ReconnectWait: 100 * time.Millisecond,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
	}}
	for _, proto := range []int{0, 2} {
		cfg.Node.Protocol = proto
		_, err := redmux.NewFailover(ctx, cfg)
		var ce *redmux.ConnError
		require.ErrorAs(t, err, &ce, "Protocol %d", proto)
		require.ErrorIs(t, err, redmux.ErrNotMaster)
		assert.Equal(t, "handshake", ce.Op)
		assert.Equal(t, replica.Addr, ce.Addr, "the error names the replica reached")
	}

	cfg.Node.Protocol = 0
	fake.names(master.Addr)
	c, err := redmux.NewFailover(ctx, cfg)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", []byte("v")))

	fake.names(replica.Addr)
	_, err = adminClient(t, ctx, master.Addr, "").Do(ctx, "CLIENT", "KILL", "TYPE", "normal")
	require.NoError(t, err)
	testwait.Eventually(t, "a write refused for want of a master", func() bool {
		return errors.Is(c.Set(ctx, "k", []byte("v")), redmux.ErrNotMaster)
	})
	fake.names(master.Addr)
	testwait.Eventually(t, "a write through a reconnect to the master", func() bool {
		return c.Set(ctx, "k", []byte("again")) == nil
	})
}

// demote makes newMaster the master and oldMaster its replica, behind the
// client's back: no switch is announced, and the sentinel names newMaster
// from now on. It returns an admin client of newMaster.
func demote(t *testing.T, ctx context.Context, fake *fakeSentinel, oldMaster, newMaster *redistest.Server) *redmux.Client {
	t.Helper()
	newAdmin := adminClient(t, ctx, newMaster.Addr, "")
	_, err := newAdmin.Do(ctx, "REPLICAOF", "NO", "ONE")
	require.NoError(t, err)
	_, err = adminClient(t, ctx, oldMaster.Addr, "").Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(newMaster.Port))
	require.NoError(t, err)
	fake.names(newMaster.Addr)
	return newAdmin
}

// demotedClient starts a master, a replica and a fake sentinel naming the
// master, and connects a one-manager client to them.
func demotedClient(t *testing.T, ctx context.Context) (c *redmux.Client, fake *fakeSentinel, oldMaster, newMaster *redistest.Server) {
	oldMaster, newMaster = masterAndReplica(t)
	fake = startFakeSentinel(t, "demoted", oldMaster.Addr)
	c, err := redmux.NewFailover(ctx, redmux.FailoverConfig{MasterName: "demoted", SentinelAddrs: []string{fake.srv.Addr()},
		Node: redmux.Config{Managers: 1}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Set(ctx, "k", []byte("before")))
	return c, fake, oldMaster, newMaster
}

// TestFailoverResendsAWriteRefusedReadOnly: a master demoted to replica
// behind the client's back (no switch announced) answers a write
// -READONLY: it did not run it. The connection redials, asking the
// sentinel, and the write is sent once more, to the new master, where it
// succeeds: the caller sees no error.
func TestFailoverResendsAWriteRefusedReadOnly(t *testing.T) {
	ctx := sentinelContext(t)
	c, fake, oldMaster, newMaster := demotedClient(t, ctx)
	newAdmin := demote(t, ctx, fake, oldMaster, newMaster)

	require.NoError(t, c.Set(ctx, "k", []byte("after")))
	assert.Equal(t, uint64(1), c.Stats().Rerouted, "the refused write was sent once more")
	v, found, err := newAdmin.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "after", string(v))
	assert.Equal(t, "master", roleOf(t, ctx, c))
}

// TestFailoverReadOnlyPipelineIsNotResent: a pipeline answered -READONLY
// gets its replies as they are, never resent (a pipeline's other commands
// could have run); its connection redials all the same, so the next
// writes go to the new master.
func TestFailoverReadOnlyPipelineIsNotResent(t *testing.T) {
	ctx := sentinelContext(t)
	c, fake, oldMaster, newMaster := demotedClient(t, ctx)
	newAdmin := demote(t, ctx, fake, oldMaster, newMaster)

	replies, err := c.Pipeline(ctx, []any{"SET", "a", "1"}, []any{"SET", "b", "2"})
	require.NoError(t, err)
	for _, r := range replies {
		var re *redmux.RedisError
		require.ErrorAs(t, r.Err(), &re)
		assert.Equal(t, "READONLY", re.Prefix)
	}
	assert.Zero(t, c.Stats().Rerouted)
	testwait.Eventually(t, "a write on the new master", func() bool {
		return c.Set(ctx, "k", []byte("after")) == nil
	})
	v, found, err := newAdmin.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "after", string(v))
}
