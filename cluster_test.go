package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

// The cluster tests share one real cluster per test binary (3 masters, 3
// replicas), started by the first test that needs it and stopped by
// TestMain. A test that kills or moves something leaves the cluster
// healthy again for the next.

var shared struct {
	once    sync.Once
	cluster *redistest.Cluster
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cluster != nil {
		shared.cluster.Stop()
	}
	os.Exit(code)
}

// sharedCluster returns the test binary's cluster, healthy.
func sharedCluster(t *testing.T) *redistest.Cluster {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		shared.cluster, shared.err = redistest.StartCluster(ctx, 3, 1)
	})
	require.NoError(t, shared.err, "starting the shared cluster")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(t, shared.cluster.WaitHealthy(ctx))
	return shared.cluster
}

// newClusterClient connects to the shared cluster; the client is closed,
// and checked for leaked goroutines, when the test ends.
func newClusterClient(t *testing.T, cfg redmux.ClusterConfig) (*redistest.Cluster, *redmux.ClusterClient) {
	t.Helper()
	cl := sharedCluster(t)
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if cfg.Addrs == nil {
		cfg.Addrs = cl.Addrs()[:1]
	}
	c, err := redmux.NewCluster(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, c.Close())
		goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction(redistest.ProcessWaiter))
	})
	return cl, c
}

func clusterCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestClusterThreeThousandKeysAreCorrect(t *testing.T) {
	cl, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	const keys, workers = 3000, 16
	prefix := t.Name() + ":"
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < keys; i += workers {
				key := prefix + strconv.Itoa(i)
				if err := c.Set(ctx, key, []byte("value-"+key)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := range keys {
		key := prefix + strconv.Itoa(i)
		v, ok, err := c.Get(ctx, key)
		require.NoError(t, err)
		require.True(t, ok, key)
		require.Equal(t, "value-"+key, string(v))
	}
	masters, err := cl.Masters(ctx)
	require.NoError(t, err)
	perMaster := map[string]int{}
	for _, m := range masters {
		perMaster[m.Addr] = int(c.ClusterStats().Nodes[m.Addr].Total().Completed)
		assert.Greater(t, perMaster[m.Addr], keys/2, "master %s served its share", m.Addr)
	}
	assert.Len(t, perMaster, 3, "the keys spread over every master")
	n, err := c.DBSize(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, int64(keys), "DBSIZE adds up every master")
	var scanned int
	for key, err := range c.Scan(ctx, prefix+"*", 500) {
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(key, prefix))
		scanned++
	}
	assert.GreaterOrEqual(t, scanned, keys, "Scan visits every master")
}

func TestClusterPipelineAcrossSlotsKeepsOrder(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	const n = 1000
	prefix := t.Name() + ":"
	cmds := make([][]any, 0, n)
	for i := range n {
		key := prefix + strconv.Itoa(i/2)
		if i%2 == 0 {
			cmds = append(cmds, []any{"SET", key, i})
		} else {
			cmds = append(cmds, []any{"GET", key})
		}
	}
	cmds[999] = []any{"INCR", prefix + "0"}    // "0" was set to 0 by entry 0... then
	cmds[1] = []any{"HGET", prefix + "0", "f"} // a per-command error: WRONGTYPE
	replies, err := c.Pipeline(ctx, cmds...)
	require.NoError(t, err)
	require.Len(t, replies, n)
	for i := 2; i < n-1; i++ {
		if i%2 == 1 {
			got, err := replies[i].Text()
			require.NoError(t, err, "entry %d", i)
			require.Equal(t, strconv.Itoa(i-1), got, "entry %d is the reply to its own GET", i)
		}
	}
	var rerr *redmux.RedisError
	require.ErrorAs(t, replies[1].Err(), &rerr)
	assert.Equal(t, "WRONGTYPE", rerr.Prefix)
	incr, err := replies[n-1].Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(1), incr)
}

func TestClusterBatchRunsTypedCommandsAcrossSlots(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	b := redmux.NewBatch()
	var sets []*redmux.Reply[struct{}]
	var gets []*redmux.MaybeReply[[]byte]
	for i := range 50 {
		key := fmt.Sprintf("%s:%d", t.Name(), i)
		sets = append(sets, b.Set(key, []byte(key)))
		gets = append(gets, b.Get(key))
	}
	missing := b.Get(t.Name() + ":missing")
	require.NoError(t, c.RunBatch(ctx, b))
	for i := range 50 {
		require.NoError(t, sets[i].Err())
		v, ok, err := gets[i].Result()
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, fmt.Sprintf("%s:%d", t.Name(), i), string(v))
	}
	_, ok, err := missing.Result()
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestClusterCrossSlotCommandIsTheServersError(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	_, err := c.Do(ctx, "MGET", "a", "b") // slots 15495 and 3300
	var rerr *redmux.RedisError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, "CROSSSLOT", rerr.Prefix)

	require.NoError(t, c.Set(ctx, "{tag}a", []byte("1")))
	require.NoError(t, c.Set(ctx, "{tag}b", []byte("2")))
	v, err := c.Do(ctx, "MGET", "{tag}a", "{tag}b")
	require.NoError(t, err)
	got, err := v.Strings()
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, got, "keys sharing a hash tag share a slot")
}

func TestClusterTypedFamiliesScansAndScripts(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	hash := t.Name() + ":h"
	_, err := c.HSet(ctx, hash, map[string][]byte{"a": []byte("1"), "b": []byte("2")})
	require.NoError(t, err)
	fields := map[string]string{}
	for f, err := range c.HScan(ctx, hash, "", 10) {
		require.NoError(t, err)
		fields[f.Field] = string(f.Value)
	}
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, fields)

	script := redmux.NewScript(`return redis.call("INCRBY", KEYS[1], ARGV[1])`)
	_, err = c.Do(ctx, "SCRIPT", "FLUSH") // on every master: EVALSHA meets NOSCRIPT
	require.NoError(t, err)
	for i := range 3 {
		key := fmt.Sprintf("%s:n%d", t.Name(), i)
		_, err := c.Del(ctx, key)
		require.NoError(t, err)
		v, err := script.Run(ctx, c, []string{key}, 5)
		require.NoError(t, err)
		n, _ := v.Int64()
		assert.Equal(t, int64(5), n)
	}
	require.NoError(t, script.Load(ctx, c))
	exists, err := c.ScriptExists(ctx, script.Hash())
	require.NoError(t, err)
	assert.Equal(t, []bool{true}, exists, "SCRIPT LOAD ran on every master")
}

func TestClusterBlockingCommandRunsOnTheKeysNode(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	list := t.Name() + ":list"
	got := make(chan error, 1)
	go func() {
		v, err := c.Do(ctx, "BLPOP", list, 5)
		if err == nil {
			var items []string
			if items, err = v.Strings(); err == nil && items[1] != "x" {
				err = fmt.Errorf("BLPOP got %v", items)
			}
		}
		got <- err
	}()
	waitUntilBlockedIn(t, "(*DedicatedConn).run")
	_, err := c.RPush(ctx, list, []byte("x"))
	require.NoError(t, err)
	require.NoError(t, <-got)
}

func TestClusterPublishReachesSubscribersOnAnyNode(t *testing.T) {
	cl, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	sub, err := redmux.Connect(ctx, cl.Addrs()[2])
	require.NoError(t, err)
	defer sub.Close()
	s, err := sub.Subscribe(ctx, "news")
	require.NoError(t, err)
	defer s.Close()
	_, err = c.Publish(ctx, "news", "hello")
	require.NoError(t, err)
	m, err := s.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(m.Payload))

	// Sharded pub/sub: SPUBLISH goes to the shard of the channel's slot.
	owner, err := cl.MasterOfSlot(ctx, cl.KeySlot("events"))
	require.NoError(t, err)
	ssub, err := redmux.Connect(ctx, owner.Addr)
	require.NoError(t, err)
	defer ssub.Close()
	ss, err := ssub.SSubscribe(ctx, "events")
	require.NoError(t, err)
	defer ss.Close()
	n, err := c.SPublish(ctx, "events", "sharded")
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	m, err = ss.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "sharded", string(m.Payload))
}

func TestNewClusterFailsClearly(t *testing.T) {
	ctx := clusterCtx(t, testTimeout)
	_, err := redmux.NewCluster(ctx, redmux.ClusterConfig{Addrs: []string{"127.0.0.1:1"}})
	var cerr *redmux.ConnError
	require.ErrorAs(t, err, &cerr)
	assert.Contains(t, err.Error(), "127.0.0.1:1")

	plain := redistest.StartT(t)
	before := goleak.IgnoreCurrent()
	_, err = redmux.NewCluster(ctx, redmux.ClusterConfig{Addrs: []string{plain.Addr}})
	var rerr *redmux.RedisError
	require.ErrorAs(t, err, &rerr)
	assert.Contains(t, err.Error(), "cluster support disabled")
	goleak.VerifyNone(t, before)
}

func TestClusterCloneAndClose(t *testing.T) {
	_, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	clone := c.Clone()
	require.NoError(t, clone.Close())
	require.NoError(t, clone.Close(), "Close is idempotent")
	_, err := clone.Do(ctx, "PING")
	require.ErrorIs(t, err, redmux.ErrClosed)
	require.NoError(t, c.Ping(ctx), "the other handle still works")
	assert.NotEmpty(t, c.Stats().Managers)
	assert.Len(t, c.ClusterStats().Nodes, 3, "only the masters are dialed")
}

// ownedKeys returns n keys in one slot, with its hash tag.
func keysInSlotOf(tag string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("{%s}:%d", tag, i)
	}
	return keys
}

func TestClusterMovedUpdatesTheSlotMap(t *testing.T) {
	cl, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, testTimeout)
	key := "{moved}:k"
	require.NoError(t, c.Set(ctx, key, []byte("v")))
	slot := cl.KeySlot(key)
	to := otherMaster(t, ctx, cl, slot)
	require.NoError(t, cl.MigrateSlot(ctx, slot, to, 10, nil))
	before := c.ClusterStats().Redirects
	v, _, err := c.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, "v", string(v))
	afterFirst := c.ClusterStats().Redirects
	assert.Greater(t, afterFirst, before, "the first GET met MOVED")
	for range 10 {
		_, _, err := c.Get(ctx, key)
		require.NoError(t, err)
	}
	assert.Equal(t, afterFirst, c.ClusterStats().Redirects, "later GETs go straight to the new owner")
}

// otherMaster returns a master that does not serve slot.
func otherMaster(t *testing.T, ctx context.Context, cl *redistest.Cluster, slot int) *redistest.Server {
	t.Helper()
	owner, err := cl.MasterOfSlot(ctx, slot)
	require.NoError(t, err)
	masters, err := cl.Masters(ctx)
	require.NoError(t, err)
	for _, m := range masters {
		if m != owner {
			return m
		}
	}
	t.Fatal("no other master")
	return nil
}

// counterLoad runs workers that each INCR keys of their own and check
// every reply against the count they expect: a reply given to the wrong
// caller, or an increment lost or doubled, shows as a wrong value.
type counterLoad struct {
	ops, wrong atomic.Int64
	mu         sync.Mutex
	errs       []error
}

func (l *counterLoad) run(ctx context.Context, c *redmux.ClusterClient, keys []string, workers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts := map[string]int64{}
			for i := 0; i < 200000; i++ { // bounded; normally stop ends it
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				if w%2 == 1 { // odd workers pipeline: each INCR of its own key
					if !l.pipeline(ctx, c, keys, w, counts) {
						return
					}
					continue
				}
				key := fmt.Sprintf("%s:w%d", keys[i%len(keys)], w)
				n, err := c.Incr(ctx, key)
				if !l.check(key, n, err, counts) {
					return
				}
			}
		}()
	}
	return &wg
}

// pipeline sends one INCR per key, plus a key of another slot, as one
// Pipeline, and checks each reply.
func (l *counterLoad) pipeline(ctx context.Context, c *redmux.ClusterClient, keys []string, w int, counts map[string]int64) bool {
	var cmds [][]any
	var names []string
	for _, k := range append(keys[:min(len(keys), 5):min(len(keys), 5)], fmt.Sprint("elsewhere-", keys[0])) {
		key := fmt.Sprintf("%s:w%d", k, w)
		cmds = append(cmds, []any{"INCR", key})
		names = append(names, key)
	}
	replies, err := c.Pipeline(ctx, cmds...)
	if err != nil {
		return l.check("", 0, err, counts)
	}
	for i, r := range replies {
		n, err := r.Int64()
		if !l.check(names[i], n, errors.Join(err, r.Err()), counts) {
			return false
		}
	}
	return true
}

// check records one INCR's outcome.
func (l *counterLoad) check(key string, n int64, err error, counts map[string]int64) bool {
	if err != nil {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
		return false
	}
	counts[key]++
	if n != counts[key] {
		l.wrong.Add(1)
	}
	l.ops.Add(1)
	return true
}

// waitOps waits until the load has done n more operations.
func (l *counterLoad) waitOps(t *testing.T, n int64) {
	target := l.ops.Load() + n
	testwait.Eventually(t, "the load to make progress", func() bool { return l.ops.Load() >= target })
}

func TestClusterLiveReshardingUnderLoadHasNoVisibleErrors(t *testing.T) {
	cl, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, 60*time.Second)
	keys := keysInSlotOf(fmt.Sprint("reshard-", time.Now().UnixNano()), 20) // one slot, many keys, new each run
	slot := cl.KeySlot(keys[0])
	to := otherMaster(t, ctx, cl, slot)
	load := &counterLoad{}
	stop := make(chan struct{})
	wg := load.run(ctx, c, keys, 8, stop)
	load.waitOps(t, 2000)
	err := cl.MigrateSlot(ctx, slot, to, 3, func() { load.waitOps(t, 50) })
	load.waitOps(t, 2000)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	assert.Empty(t, load.errs, "errors seen by callers")
	assert.Zero(t, load.wrong.Load(), "wrong values")
	assert.Positive(t, c.ClusterStats().Redirects, "the load met ASK or MOVED")
	t.Logf("%d operations, %d redirects", load.ops.Load(), c.ClusterStats().Redirects)
}

// isTyped reports an error a caller can act on: a connection error, a
// server error reply, the context's, or the cluster being unavailable.
func isTyped(err error) bool {
	var cerr *redmux.ConnError
	var rerr *redmux.RedisError
	return errors.As(err, &cerr) || errors.As(err, &rerr) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func TestClusterMasterKilledUnderLoadRecoversWithoutWrongValues(t *testing.T) {
	cl, c := newClusterClient(t, redmux.ClusterConfig{})
	ctx := clusterCtx(t, 90*time.Second)
	victimKeys := keysInSlotOf("victim", 4)
	victim, err := cl.MasterOfSlot(ctx, cl.KeySlot(victimKeys[0]))
	require.NoError(t, err)
	keys := append(victimKeys, append(keysInSlotOf("spare1", 2), keysInSlotOf("spare2", 2)...)...)

	load := newOwnedLoad(ctx, c, keys, 8)
	load.waitOps(t, 2000)
	victim.Kill()
	killedAt := time.Now()
	recovered := testwait.Until(20*time.Second, func() bool {
		return c.Set(ctx, victimKeys[0]+":probe", []byte("x")) == nil
	})
	recovery := time.Since(killedAt)
	load.waitOps(t, 2000)
	load.stop()
	t.Logf("service back %v after the kill; %d ops; errors by type %v", recovery, load.ops.Load(), load.kinds())
	require.True(t, recovered, "writes to the killed master's slots succeed again within 20s")
	load.check(t)

	require.NoError(t, victim.Restart(ctx))
	require.NoError(t, cl.WaitHealthy(ctx))
}

// ownedLoad runs workers that each SET keys of their own and read them
// back. Writes acknowledged by a master that dies may be lost in the
// failover (replication is asynchronous), so a value read may be older
// than the last one written, but it must always be one written for that
// key: anything else is a reply given to the wrong caller.
type ownedLoad struct {
	ops, wrong, untyped atomic.Int64
	mu                  sync.Mutex
	errKinds            map[string]int
	done                chan struct{}
	stopOnce            sync.Once
	wg                  sync.WaitGroup
}

func newOwnedLoad(ctx context.Context, c *redmux.ClusterClient, keys []string, workers int) *ownedLoad {
	l := &ownedLoad{errKinds: map[string]int{}, done: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; i < 10000000; i++ { // bounded; stop normally ends it
				select {
				case <-l.done:
					return
				case <-ctx.Done():
					return
				default:
				}
				key := fmt.Sprintf("%s:w%d", keys[i%len(keys)], w)
				l.setAndGet(ctx, c, key, fmt.Sprintf("%s=%d", key, i))
			}
		}()
	}
	return l
}

func (l *ownedLoad) setAndGet(ctx context.Context, c *redmux.ClusterClient, key, value string) {
	err := c.Set(ctx, key, []byte(value))
	var got []byte
	if err == nil {
		got, _, err = c.Get(ctx, key)
	}
	if err != nil {
		if !isTyped(err) {
			l.untyped.Add(1)
		}
		l.mu.Lock()
		l.errKinds[fmt.Sprintf("%T", err)]++
		l.mu.Unlock()
		return
	}
	if !strings.HasPrefix(string(got), key+"=") {
		l.wrong.Add(1)
	}
	l.ops.Add(1)
}

// waitOps waits until the load has done n more operations.
func (l *ownedLoad) waitOps(t *testing.T, n int64) {
	target := l.ops.Load() + n
	testwait.EventuallyWithin(t, 30*time.Second, "the load to make progress", func() bool { return l.ops.Load() >= target })
}

// stop ends the load and waits for its workers; it may be called again.
func (l *ownedLoad) stop() {
	l.stopOnce.Do(func() { close(l.done) })
	l.wg.Wait()
}

func (l *ownedLoad) kinds() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.errKinds)
}

// check fails the test on a wrong value or an error of no known type.
func (l *ownedLoad) check(t *testing.T) {
	assert.Zero(t, l.wrong.Load(), "wrong values")
	assert.Zero(t, l.untyped.Load(), "untyped errors")
}

func TestClusterReadFromReplicasUsesReplicasAndFallsBack(t *testing.T) {
	cl, c := newClusterClient(t, redmux.ClusterConfig{ReadFromReplicas: true})
	ctx := clusterCtx(t, 60*time.Second)
	key := t.Name()
	require.NoError(t, c.Set(ctx, key, []byte("v")))
	testwait.Eventually(t, "the replica to have the key", func() bool {
		v, ok, err := c.Get(ctx, key)
		return err == nil && ok && string(v) == "v"
	})
	master, err := cl.MasterOfSlot(ctx, cl.KeySlot(key))
	require.NoError(t, err)
	replicas, err := cl.ReplicasOf(ctx, master)
	require.NoError(t, err)
	require.NotEmpty(t, replicas)
	replicaStats := c.ClusterStats().Nodes[replicas[0].Addr]
	assert.Positive(t, replicaStats.Total().Completed, "reads went to the replica")

	replicas[0].Kill()
	for range 20 {
		v, ok, err := c.Get(ctx, key)
		require.NoError(t, err, "reads fall back to the master")
		require.True(t, ok)
		require.Equal(t, "v", string(v))
	}
	require.NoError(t, replicas[0].Restart(ctx))
	require.NoError(t, cl.WaitHealthy(ctx))
	served := c.ClusterStats().Nodes[replicas[0].Addr].Total().Completed
	testwait.Eventually(t, "reads to go to the restarted replica again", func() bool {
		_, _, err := c.Get(ctx, key)
		return err == nil && c.ClusterStats().Nodes[replicas[0].Addr].Total().Completed > served
	})
}
