package redmux

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// ClusterClient is a handle on a Redis Cluster. Each node it uses has a
// set of connection managers of its own, as a Client has for one server;
// each command goes to the node serving its key's hash slot, and within
// that node to its least-loaded manager.
//
// It offers the typed command helpers, Do, Pipeline, RunBatch, Scan and
// the other scans, Publish and SPublish with the same signatures as
// Client; what differs in a cluster:
//
//   - A command's keys must share one hash slot (use hash tags,
//     "{user:1}:name"); across slots the server answers CROSSSLOT, which
//     comes back as a *RedisError. MGET, DEL and the other multi-key
//     commands are not split.
//   - Commands without a key go to any master, except those that concern
//     every node: DBSIZE (summed), KEYS (joined), FLUSHDB, FLUSHALL,
//     SCRIPT LOAD/FLUSH/EXISTS and FUNCTION LOAD/DELETE/FLUSH/RESTORE,
//     which run on every master.
//   - MOVED updates the slot map and the command follows it; ASK sends it
//     once to the importing node after ASKING; TRYAGAIN, CLUSTERDOWN, a
//     demoted master (READONLY) and a node that cannot be reached are
//     retried with backoff for up to ClusterConfig.RetryWait, within the
//     caller's context. Only redirections, refusals and requests that were
//     never sent are retried: a write that may have run is not.
//   - MOVED, CLUSTERDOWN and connection errors reload the topology in the
//     background (CLUSTER SHARDS, or CLUSTER SLOTS before Redis 7), at
//     most once per MinRefreshInterval. New nodes are dialed; nodes that
//     left are closed once the requests they serve are answered.
//   - Pipeline and RunBatch split their commands by node, send the parts
//     concurrently and return the replies in the caller's order; a command
//     that is redirected is retried alone.
//   - Transactions (Watch, Multi), Dedicated and Subscribe are not
//     offered: use a Client on the node serving the slot.
//
// A ClusterClient is safe for concurrent use; Clone and Close follow
// Client's rules. Byte slices returned belong to the caller.
type ClusterClient struct {
	commands

	shared   *clusterShared
	closed   atomic.Bool
	released chan struct{}
}

// clusterShared is what every handle of one cluster connection shares.
type clusterShared struct {
	cfg ClusterConfig

	refs     sync.Mutex // guards count
	count    int
	closing  chan struct{}   // closed when the last handle closes
	life     context.Context // ends when the last handle closes
	end      context.CancelFunc
	shutdown sync.WaitGroup

	mu     sync.Mutex
	nodes  map[string]*clusterNode // every node known, by address
	closed bool                    // no node may be added any more
	topo   atomic.Pointer[topology]

	refresh refresher
	turn    atomic.Uint32 // round robin for commands without a key

	redirects atomic.Uint64
	refreshes atomic.Uint64

	lastView *topologyView // the last load's, with a logger only (see logTopology)
}

// NewCluster connects to a Redis Cluster: it asks the seed nodes in
// ClusterConfig.Addrs for the topology, then dials every master (and,
// with ReadFromReplicas, every replica) before it returns. It fails with
// a *ConfigError for an invalid field, and with the last seed's error
// when no seed answers with a topology (a *ConnError, or a *RedisError
// such as "ERR This instance has cluster support disabled"). A master
// that cannot be dialed does not fail it: the cluster may be failing
// over, and commands for that master's slots retry as RetryWait allows.
func NewCluster(ctx context.Context, cfg ClusterConfig) (*ClusterClient, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sh := &clusterShared{cfg: cfg.resolved(), count: 1, closing: make(chan struct{}), nodes: map[string]*clusterNode{}}
	sh.refresh.init()
	sh.life, sh.end = context.WithCancel(context.Background())
	if err := sh.loadTopology(ctx, true); err != nil {
		sh.close()
		return nil, err
	}
	sh.hangUpIdleReplicas()
	sh.shutdown.Add(1)
	go sh.refresher()
	return newClusterHandle(sh), nil
}

func newClusterHandle(sh *clusterShared) *ClusterClient {
	c := &ClusterClient{shared: sh, released: make(chan struct{})}
	c.commands = commands{r: c}
	return c
}

// Clone returns a new handle sharing this one's nodes and connections.
// Each handle must be closed; the connections close with the last one.
// Cloning a closed handle returns a closed handle.
func (c *ClusterClient) Clone() *ClusterClient {
	clone := newClusterHandle(c.shared)
	if c.closed.Load() || !c.shared.retain() {
		clone.closed.Store(true)
		close(clone.released)
	}
	return clone
}

// Close closes this handle. Closing the last open handle closes every
// node's connections, as Client.Close does, and returns once every
// goroutine has exited. It is idempotent and always returns nil.
func (c *ClusterClient) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		if c.shared.releaseRef() {
			c.shared.close()
		}
		close(c.released)
		return nil
	}
	<-c.released
	return nil
}

// Stats returns the managers of every node the client has dialed, in one
// Stats. It is safe to call at any time, also on a closed handle.
func (c *ClusterClient) Stats() Stats {
	var s Stats
	for _, n := range c.shared.dialedNodes() {
		ns := n.Stats()
		s.Managers = append(s.Managers, ns.Managers...)
		s.Rerouted += ns.Rerouted
		s.Retried += ns.Retried
	}
	return s
}

// ClusterStats counts what the cluster client did beyond its nodes.
type ClusterStats struct {
	// Nodes holds the Stats of each node dialed, by address.
	Nodes map[string]Stats
	// Redirects counts MOVED and ASK replies followed.
	Redirects uint64
	// Refreshes counts topology reloads.
	Refreshes uint64
}

// ClusterStats returns per-node Stats and the cluster client's counters.
func (c *ClusterClient) ClusterStats() ClusterStats {
	s := ClusterStats{Nodes: map[string]Stats{}, Redirects: c.shared.redirects.Load(), Refreshes: c.shared.refreshes.Load()}
	c.shared.mu.Lock()
	nodes := make([]*clusterNode, 0, len(c.shared.nodes))
	for _, n := range c.shared.nodes {
		nodes = append(nodes, n)
	}
	c.shared.mu.Unlock()
	for _, n := range nodes {
		if cl := n.current(); cl != nil {
			s.Nodes[n.addr] = cl.Stats()
		}
	}
	return s
}

func (sh *clusterShared) retain() bool {
	sh.refs.Lock()
	defer sh.refs.Unlock()
	if sh.count == 0 {
		return false
	}
	sh.count++
	return true
}

// releaseRef drops a reference and reports whether it was the last.
func (sh *clusterShared) releaseRef() bool {
	sh.refs.Lock()
	defer sh.refs.Unlock()
	sh.count--
	return sh.count == 0
}

// close stops the refresher, closes every node and waits for every
// goroutine of the cluster client.
func (sh *clusterShared) close() {
	close(sh.closing)
	sh.end()
	sh.shutdown.Wait()
	sh.mu.Lock()
	sh.closed = true // a redirection racing with close finds no new node
	nodes := make([]*clusterNode, 0, len(sh.nodes))
	for _, n := range sh.nodes {
		nodes = append(nodes, n)
	}
	sh.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); n.close() }()
	}
	wg.Wait()
}

// hangUpIdleReplicas closes the connections of replicas that only
// answered the first topology request (a seed may be a replica), when
// reads do not go to replicas. Nothing else uses them yet.
func (sh *clusterShared) hangUpIdleReplicas() {
	if sh.cfg.ReadFromReplicas {
		return
	}
	masters := map[*clusterNode]bool{}
	for _, m := range sh.topo.Load().masters() {
		masters[m] = true
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, n := range sh.nodes {
		if !masters[n] {
			n.hangUp()
		}
	}
}

// dialedNodes returns the Client of every node dialed so far.
func (sh *clusterShared) dialedNodes() []*Client {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var out []*Client
	for _, n := range sh.nodes {
		if c := n.current(); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// node returns the node at addr, creating it (not dialed) if it is new.
func (sh *clusterShared) node(addr string) *clusterNode {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.nodeLocked(addr)
}

// After close it returns a closed node, which fails requests with
// ErrClosed and never dials.
func (sh *clusterShared) nodeLocked(addr string) *clusterNode {
	if n, ok := sh.nodes[addr]; ok && !n.retiring.Load() {
		return n
	}
	n := newClusterNode(addr, sh.cfg.nodeConfig(addr), sh.cfg.MinRefreshInterval)
	if sh.closed {
		n.close()
		return n
	}
	sh.nodes[addr] = n
	return n
}

// anyShard picks a shard, in turn, for a command without a key.
func (sh *clusterShared) anyShard() (*shard, error) {
	t := sh.topo.Load()
	if t == nil || len(t.shards) == 0 {
		return nil, ErrClusterDown
	}
	return t.shards[int(sh.turn.Add(1))%len(t.shards)], nil
}

// slotUnserved is the error of a command whose slot has no master.
func slotUnserved(slot int) error {
	return fmt.Errorf("%w: no master serves hash slot %d", ErrClusterDown, slot)
}

// ErrClusterDown matches (errors.Is) the error of a ClusterClient command
// whose hash slot no master serves in the topology the client knows,
// after ClusterConfig.RetryWait of reloads. The command was not sent.
var ErrClusterDown = errors.New("redmux: the cluster has no node for the command")

// shuffled returns a copy of addrs in random order.
func shuffled(addrs []string) []string {
	out := append([]string(nil), addrs...)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
