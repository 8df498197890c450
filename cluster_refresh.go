package redmux

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Topology reloads run on one goroutine, the refresher: a reload is asked
// for with kickRefresh, which never blocks; requests made while a reload
// runs, or during the MinRefreshInterval after it, share the next one.

// refreshTryTimeout bounds asking one node for the topology.
const refreshTryTimeout = 2 * time.Second

// refresher is the state of the reload goroutine.
type refresher struct {
	kick chan struct{} // holds one pending request for a reload
}

func (r *refresher) init() { r.kick = make(chan struct{}, 1) }

// kickRefresh asks for a topology reload.
func (sh *clusterShared) kickRefresh() {
	select {
	case sh.refresh.kick <- struct{}{}:
	default: // one is pending already
	}
}

// refresher reloads the topology when asked, at most once per
// MinRefreshInterval, until the last handle closes.
func (sh *clusterShared) refresher() {
	defer sh.shutdown.Done()
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		select {
		case <-sh.closing:
			return
		case <-sh.refresh.kick:
		}
		_ = sh.loadTopology(sh.life, false)
		pause.Reset(sh.cfg.MinRefreshInterval)
		select {
		case <-sh.closing:
			return
		case <-pause.C:
		}
	}
}

// loadTopology asks the known nodes, then the seeds, for the topology
// and applies the first answer. initial is true for NewCluster's load,
// which asks only the seeds and returns their last error.
func (sh *clusterShared) loadTopology(ctx context.Context, initial bool) error {
	var lastErr error
	for _, addr := range sh.topologySources(initial) {
		specs, err := sh.askTopology(ctx, addr)
		if err == nil {
			sh.logTopology(specs)
			sh.apply(ctx, specs)
			sh.refreshes.Add(1)
			return nil
		}
		lastErr = fmt.Errorf("redmux: cluster topology from %s: %w", addr, err)
		if ctx.Err() != nil {
			break
		}
	}
	return lastErr
}

// topologySources lists whom to ask: the current masters, then the
// replicas, then the seeds, each group in random order.
func (sh *clusterShared) topologySources(initial bool) []string {
	var masters, replicas []string
	if t := sh.topo.Load(); t != nil && !initial {
		for _, s := range t.shards {
			masters = append(masters, s.master.addr)
			for _, r := range s.replicas {
				replicas = append(replicas, r.addr)
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, group := range [][]string{shuffled(masters), shuffled(replicas), shuffled(sh.cfg.Addrs)} {
		for _, a := range group {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// askTopology asks the node at addr for the topology: CLUSTER SHARDS, or
// CLUSTER SLOTS on a server older than Redis 7.
func (sh *clusterShared) askTopology(ctx context.Context, addr string) ([]shardSpec, error) {
	ctx, cancel := context.WithTimeout(ctx, refreshTryTimeout)
	defer cancel()
	cl, done, err := sh.node(addr).use(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	v, err := cl.Do(ctx, "CLUSTER", "SHARDS")
	if isUnknownCommand(err) {
		if v, err = cl.Do(ctx, "CLUSTER", "SLOTS"); err == nil {
			return parseSlots(v, hostOf(addr))
		}
	}
	if err != nil {
		return nil, err
	}
	return parseShards(v, hostOf(addr), sh.cfg.Node.TLSConfig != nil)
}

// isUnknownCommand reports an error reply saying the server does not know
// a command or subcommand.
func isUnknownCommand(err error) bool {
	var rerr *RedisError
	return errors.As(err, &rerr) && strings.Contains(strings.ToLower(rerr.Message), "unknown")
}

// apply installs a topology: nodes that are new are added (masters, and
// replicas when reads go to them, are dialed before apply returns), nodes
// no longer listed retire.
func (sh *clusterShared) apply(ctx context.Context, specs []shardSpec) {
	t := &topology{}
	listed := map[*clusterNode]bool{}
	var toDial []*clusterNode
	sh.mu.Lock()
	for _, spec := range specs {
		s := &shard{master: sh.nodeLocked(spec.master.addr)}
		s.master.healthy.Store(spec.master.healthy)
		listed[s.master] = true
		toDial = append(toDial, s.master)
		for _, r := range spec.replicas {
			n := sh.nodeLocked(r.addr)
			n.healthy.Store(r.healthy && !n.disconnected())
			listed[n] = true
			s.replicas = append(s.replicas, n)
			if sh.cfg.ReadFromReplicas && r.healthy {
				toDial = append(toDial, n)
			}
		}
		for _, r := range spec.ranges {
			for slot := r[0]; slot <= r[1]; slot++ {
				t.slots[slot].Store(s)
			}
		}
		t.shards = append(t.shards, s)
	}
	var gone []*clusterNode
	for addr, n := range sh.nodes {
		if !listed[n] {
			delete(sh.nodes, addr)
			gone = append(gone, n)
		}
	}
	sh.topo.Store(t)
	sh.mu.Unlock()
	for _, n := range gone {
		sh.shutdown.Add(1)
		go func() { defer sh.shutdown.Done(); n.retire(sh.closing) }()
	}
	dialAll(ctx, toDial)
}

// dialAll dials the nodes that are not dialed yet, in parallel. Failures
// are remembered by each node.
func dialAll(ctx context.Context, nodes []*clusterNode) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		if n.current() != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = n.connected(ctx)
		}()
	}
	wg.Wait()
}

// applyMoved points slot at the master at addr, as a MOVED reply says, so
// that later commands go straight there; the reload it also triggers
// brings the rest of the topology up to date.
func (sh *clusterShared) applyMoved(slot int, addr string) {
	t := sh.topo.Load()
	if cur := t.shardOf(slot); cur != nil && cur.master.addr == addr {
		return
	}
	for _, s := range t.shards {
		if s.master.addr == addr {
			t.slots[slot].Store(s)
			return
		}
	}
	t.slots[slot].Store(&shard{master: sh.node(addr)})
}
