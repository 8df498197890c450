package redmux_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/resp"
)

// These tests play cluster nodes with fakes, to force each redirection and
// refusal deterministically. The fakes speak RESP2 (no HELLO), so their
// CLUSTER SHARDS replies are flat arrays.

// fakeTopology is the CLUSTER SHARDS reply the fake nodes give, which a
// test may change.
type fakeTopology struct{ reply atomic.Pointer[resp.Value] }

// set makes the topology: each address serves the slot ranges given.
func (ft *fakeTopology) set(t *testing.T, owners map[string][][2]int) {
	var shards []resp.Value
	for addr, ranges := range owners {
		host, portText, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		port, _ := strconv.Atoi(portText)
		var slots []resp.Value
		for _, r := range ranges {
			slots = append(slots, resp.Integer(int64(r[0])), resp.Integer(int64(r[1])))
		}
		node := resp.ArrayOf(bulk("id"), bulk("node-"+portText), bulk("port"), resp.Integer(int64(port)),
			bulk("ip"), bulk(host), bulk("endpoint"), bulk(host), bulk("role"), bulk("master"),
			bulk("health"), bulk("online"))
		shards = append(shards, resp.ArrayOf(bulk("slots"), resp.ArrayOf(slots...), bulk("nodes"), resp.ArrayOf(node)))
	}
	v := resp.ArrayOf(shards...)
	ft.reply.Store(&v)
}

func bulk(s string) resp.Value { return resp.BulkString([]byte(s)) }

// fakeNode is one fake cluster node: it answers CLUSTER SHARDS from the
// topology and everything else with answer, counting the commands.
type fakeNode struct {
	*fakeredis.Server
	shardsAsked atomic.Int64
	mu          sync.Mutex
	counts      map[string]int
}

func startFakeNode(t *testing.T, ft *fakeTopology, answer func(n *fakeNode, cmd []string) resp.Value) *fakeNode {
	n := &fakeNode{counts: map[string]int{}}
	n.Server = fakeredis.Serve(t, func(c *fakeredis.Conn, cmd []string) {
		if len(cmd) == 2 && cmd[0] == "CLUSTER" && cmd[1] == "SHARDS" {
			n.shardsAsked.Add(1)
			_ = c.Send(*ft.reply.Load())
			return
		}
		n.mu.Lock()
		n.counts[cmd[0]]++
		n.mu.Unlock()
		_ = c.Send(answer(n, cmd))
	}, fakeredis.AnswerHandshake())
	return n
}

func (n *fakeNode) count(name string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.counts[name]
}

func allSlots() [][2]int { return [][2]int{{0, 16383}} }

func newFakeCluster(t *testing.T, seed string, cfg redmux.ClusterConfig) *redmux.ClusterClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cfg.Addrs = []string{seed}
	cfg.Node.Managers = 1
	c, err := redmux.NewCluster(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestClusterRetriesTryAgainUntilItClears(t *testing.T) {
	ft := &fakeTopology{}
	a := startFakeNode(t, ft, func(n *fakeNode, cmd []string) resp.Value {
		if cmd[0] == "GET" && n.count("GET") <= 3 {
			return resp.SimpleError("TRYAGAIN Multiple keys request during rehashing of slot")
		}
		return bulk("v")
	})
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{})
	v, ok, err := c.Get(clusterCtx(t, testTimeout), "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "v", string(v))
	assert.Equal(t, 4, a.count("GET"))
}

func TestClusterDownRetriesWithinRetryWaitAndTheCallersContext(t *testing.T) {
	ft := &fakeTopology{}
	a := startFakeNode(t, ft, func(*fakeNode, []string) resp.Value {
		return resp.SimpleError("CLUSTERDOWN The cluster is down")
	})
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{RetryWait: 300 * time.Millisecond, MinRefreshInterval: 10 * time.Millisecond})

	start := time.Now()
	_, _, err := c.Get(clusterCtx(t, testTimeout), "k")
	var rerr *redmux.RedisError
	require.ErrorAs(t, err, &rerr, "after RetryWait, the cluster's last answer")
	assert.Equal(t, "CLUSTERDOWN", rerr.Prefix)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	assert.Greater(t, a.count("GET"), 2, "retried meanwhile")
	assert.Greater(t, a.shardsAsked.Load(), int64(1), "CLUSTERDOWN reloads the topology")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c2 := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{RetryWait: time.Hour})
	_, _, err = c2.Get(ctx, "k")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the caller's context ends the retries")
}

func TestClusterAskSendsAskingOnceToTheImportingNode(t *testing.T) {
	ft := &fakeTopology{}
	var asked *fakeredis.Server
	importing := startFakeNode(t, ft, func(n *fakeNode, cmd []string) resp.Value {
		if cmd[0] == "ASKING" {
			return resp.SimpleString("OK")
		}
		if n.count("ASKING") != n.count("GET") {
			return resp.SimpleError("MOVED 12182 " + asked.Addr()) // GET without ASKING
		}
		return bulk("from-importing")
	})
	migrating := startFakeNode(t, ft, func(*fakeNode, []string) resp.Value {
		return resp.SimpleError("ASK 12182 " + importing.Addr())
	})
	asked = migrating.Server
	ft.set(t, map[string][][2]int{migrating.Addr(): allSlots()})
	c := newFakeCluster(t, migrating.Addr(), redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	for range 2 {
		v, _, err := c.Get(ctx, "foo") // slot 12182
		require.NoError(t, err)
		assert.Equal(t, "from-importing", string(v))
	}
	assert.Equal(t, 2, migrating.count("GET"), "ASK does not change the slot map")
	assert.Equal(t, 2, importing.count("ASKING"))
	assert.Equal(t, 2, importing.count("GET"))
}

func TestClusterRedirectionsAreBoundedByMaxRedirects(t *testing.T) {
	ft := &fakeTopology{}
	var b *fakeNode
	a := startFakeNode(t, ft, func(*fakeNode, []string) resp.Value {
		return resp.SimpleError("MOVED 12182 " + b.Addr())
	})
	b = startFakeNode(t, ft, func(*fakeNode, []string) resp.Value {
		return resp.SimpleError("MOVED 12182 " + a.Addr())
	})
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{MaxRedirects: 3})
	_, _, err := c.Get(clusterCtx(t, testTimeout), "foo")
	var rerr *redmux.RedisError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, "MOVED", rerr.Prefix)
	assert.Equal(t, 4, a.count("GET")+b.count("GET"), "the first try and 3 redirections")
}

func TestClusterTopologyReloadIsSingleFlightAndRateLimited(t *testing.T) {
	ft := &fakeTopology{}
	a := startFakeNode(t, ft, func(*fakeNode, []string) resp.Value {
		return resp.SimpleError("CLUSTERDOWN Hash slot not served")
	})
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	const interval = 200 * time.Millisecond
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{MinRefreshInterval: interval, RetryWait: 500 * time.Millisecond})
	ctx := clusterCtx(t, testTimeout)
	asked := a.shardsAsked.Load()
	start := time.Now()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = c.Get(ctx, "k") // each retries, asking for reloads, for 500ms
		}()
	}
	wg.Wait()
	reloads := a.shardsAsked.Load() - asked
	limit := int64(time.Since(start)/interval) + 2
	assert.LessOrEqual(t, reloads, limit, "at most one reload per MinRefreshInterval")
	assert.Positive(t, reloads)
}

func TestClusterWriteIsNotResentAfterAnAmbiguousFailure(t *testing.T) {
	ft := &fakeTopology{}
	var sets, gets atomic.Int64
	a := fakeredis.Serve(t, func(c *fakeredis.Conn, cmd []string) {
		switch cmd[0] {
		case "CLUSTER":
			_ = c.Send(*ft.reply.Load())
		case "SET":
			sets.Add(1)
			c.Close() // sent, then the connection dies: it may have run
		case "GET":
			if gets.Add(1) == 1 {
				c.Close()
				return
			}
			_ = c.Send(bulk("v"))
		}
	}, fakeredis.AnswerHandshake())
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()})
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	err := c.Set(ctx, "k", []byte("v"))
	require.ErrorIs(t, err, redmux.ErrMaybeExecuted)
	assert.Equal(t, int64(1), sets.Load(), "a write that may have run is never sent again")

	v, _, err := c.Get(ctx, "k")
	require.NoError(t, err, "a read lost with its connection is sent again")
	assert.Equal(t, "v", string(v))
}

func TestClusterNodeThatLeavesIsDrainedThenClosed(t *testing.T) {
	ft := &fakeTopology{}
	a := startFakeNode(t, ft, func(n *fakeNode, cmd []string) resp.Value {
		if cmd[0] == "GET" && n.count("GET") == 1 {
			return resp.SimpleError("CLUSTERDOWN reload please") // makes the client reload
		}
		return bulk("from-a")
	})
	// b answers in order, as Redis does: while it holds the GET, it reads
	// nothing else (a reload asking it waits too).
	held := make(chan *fakeredis.Conn, 1)
	release := make(chan struct{})
	b := fakeredis.Serve(t, func(c *fakeredis.Conn, cmd []string) {
		switch cmd[0] {
		case "CLUSTER":
			_ = c.Send(*ft.reply.Load())
		case "GET":
			held <- c
			<-release
			_ = c.Send(bulk("from-b"))
		}
	}, fakeredis.AnswerHandshake())
	ft.set(t, map[string][][2]int{a.Addr(): {{0, 8191}}, b.Addr(): {{8192, 16383}}})
	c := newFakeCluster(t, a.Addr(), redmux.ClusterConfig{MinRefreshInterval: time.Millisecond})
	ctx := clusterCtx(t, testTimeout)

	inFlight := make(chan error, 1)
	go func() {
		v, _, err := c.Get(ctx, "foo") // slot 12182: on b, which holds the reply
		if err == nil && string(v) != "from-b" {
			err = errors.New("got " + string(v))
		}
		inFlight <- err
	}()
	conn := <-held
	reloads := c.ClusterStats().Refreshes
	ft.set(t, map[string][][2]int{a.Addr(): allSlots()}) // b leaves
	_, _, err := c.Get(ctx, "bar")                       // slot 5061 on a: CLUSTERDOWN, reload, retry
	require.NoError(t, err)
	testwait.Eventually(t, "a reload", func() bool { return c.ClusterStats().Refreshes > reloads })
	select {
	case <-conn.Done():
		t.Fatal("b's connection closed while it still owed a reply")
	default:
	}
	close(release)
	require.NoError(t, <-inFlight, "the request b was serving is answered")
	select {
	case <-conn.Done():
	case <-time.After(testwait.Limit):
		t.Fatal("b's connection was not closed after its last reply")
	}
	v, _, err := c.Get(ctx, "foo")
	require.NoError(t, err)
	assert.Equal(t, "from-a", string(v), "b's slots now go to a")
}
