package redmux_test

import (
	"crypto/sha1"
	"encoding/hex"
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/resp"
)

// Regression tests for defects found in review of the cluster client, each
// named after the defect.

// A command whose key the client guessed wrong was sent back to the
// guessed slot's node after every MOVED, until MaxRedirects.
func TestRegressionWrongKeyGuessNeverReachedTheMovedNode(t *testing.T) {
	ft := &fakeTopology{}
	b := startFakeNode(t, ft, func(*fakeNode, []string) resp.Value { return resp.SimpleString("OK") })
	a := startFakeNode(t, ft, func(*fakeNode, []string) resp.Value {
		return resp.SimpleError("MOVED 999 " + b.Addr())
	})
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{})
	_, err := c.Do(clusterCtx(t, testTimeout), "SOMEMODULE.CMD", "not-the-key", "the-key")
	require.NoError(t, err)
	assert.Equal(t, 1, a.count("SOMEMODULE.CMD"), "one MOVED, then straight to b")
}

// A MOVED that reached a request while the last handle closed dialed a
// node after Close had closed the others: its connection stayed open.
func TestRegressionMovedDuringCloseLeakedANode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var dialed atomic.Int64
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			dialed.Add(1)
			_ = conn.Close()
		}
	}()
	ft := &fakeTopology{}
	got, release := make(chan struct{}), make(chan struct{})
	a := startFakeNode(t, ft, func(_ *fakeNode, cmd []string) resp.Value {
		if cmd[0] == "GET" {
			close(got)
			<-release
			return resp.SimpleError("MOVED 12182 " + l.Addr().String())
		}
		return resp.SimpleString("OK")
	})
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	result := make(chan error, 1)
	go func() { _, _, err := c.Get(ctx, "foo"); result <- err }()
	<-got
	closed := make(chan struct{})
	go func() { _ = c.Close(); close(closed) }()
	waitUntilBlockedIn(t, "redmux.(*clusterNode).close") // a's Client waits for its reply
	close(release)
	<-closed
	require.ErrorIs(t, <-result, redmux.ErrClosed)
	assert.Zero(t, dialed.Load(), "nothing is dialed once Close has begun")
}

// Node.DisableReadRetry was ignored: the cluster layer sent a read again
// after its connection failed under it.
func TestRegressionClusterIgnoredDisableReadRetry(t *testing.T) {
	ft := &fakeTopology{}
	var gets atomic.Int64
	a := fakeredis.Serve(t, func(c *fakeredis.Conn, cmd []string) {
		switch cmd[0] {
		case "CLUSTER":
			_ = c.Send(*ft.reply.Load())
		case "GET":
			gets.Add(1)
			c.Close()
		}
	}, fakeredis.AnswerHandshake())
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	cfg := redmux.ClusterConfig{}
	cfg.Node.DisableReadRetry = true
	c := newFakeCluster(t, a.Addr(), cfg)
	_, _, err := c.Get(clusterCtx(t, testTimeout), "k")
	require.ErrorIs(t, err, redmux.ErrMaybeExecuted)
	assert.Equal(t, int64(1), gets.Load(), "sent once")
}

// A pipeline ran the commands that go to every master (SCRIPT LOAD,
// FLUSHALL) after all the others instead of in the caller's order.
func TestRegressionPipelineRanFanOutCommandsLast(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	src := "return 'pipeline-" + t.Name() + "'"
	sum := sha1.Sum([]byte(src))
	sha := hex.EncodeToString(sum[:])
	key := t.Name()
	replies, err := c.Pipeline(ctx,
		[]any{"SCRIPT", "FLUSH"},
		[]any{"SCRIPT", "LOAD", src},
		[]any{"EVALSHA", sha, 1, key},
		[]any{"SET", key, "v"},
		[]any{"GET", key},
	)
	require.NoError(t, err)
	for i, r := range replies {
		require.NoError(t, r.Err(), "entry %d", i)
	}
	got, _ := replies[4].Text()
	assert.Equal(t, "v", got)
}

// With ReadFromReplicas, EVALSHA_RO went to a replica, which lacks the
// scripts SCRIPT LOAD put on the masters, and failed with NOSCRIPT.
func TestRegressionEvalshaROOnReplicaFailedWithNoScript(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{ReadFromReplicas: true})
	ctx := clusterCtx(t, testTimeout)
	v, err := c.Do(ctx, "SCRIPT", "LOAD", "return 'ro-"+t.Name()+"'")
	require.NoError(t, err)
	sha, _ := v.Text()
	for i := range 6 {
		_, err := c.Do(ctx, "EVALSHA_RO", sha, 1, "ro:"+strconv.Itoa(i))
		require.NoError(t, err)
	}
}

// A seed that was a replica stayed dialed (its managers idle) for the
// client's whole life, though reads do not go to replicas.
func TestRegressionSeedReplicaStayedDialed(t *testing.T) {
	cl := sharedCluster(t)
	ctx := clusterCtx(t, testTimeout)
	masters, err := cl.Masters(ctx)
	require.NoError(t, err)
	replicas, err := cl.ReplicasOf(ctx, masters[0])
	require.NoError(t, err)
	require.NotEmpty(t, replicas)
	_, c := newClusterClient(t, redmux.ClusterConfig{Addrs: []string{replicas[0].Addr}})
	require.NoError(t, c.Ping(ctx))
	nodes := c.ClusterStats().Nodes
	assert.Len(t, nodes, len(masters))
	assert.NotContains(t, nodes, replicas[0].Addr)
}
