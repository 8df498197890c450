package redmux

import (
	"context"
	"iter"
)

// Scan iterates over the keys matching match on every master, one master
// after the other, under Client.Scan's rules. A master that fails during
// the scan is skipped once a topology reload says it is no longer a
// master: the replica that took over its slots is scanned in its turn,
// from the start, so some of its keys may be yielded twice. A master that
// fails and is still one after RetryWait ends the scan with its error.
func (c *ClusterClient) Scan(ctx context.Context, match string, count int64) iter.Seq2[string, error] {
	return c.ScanType(ctx, match, count, "")
}

// ScanType is Scan restricted to keys of one type ("string", "list",
// "set", "zset", "hash", "stream"; "" for every type).
func (c *ClusterClient) ScanType(ctx context.Context, match string, count int64, keyType string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if c.closed.Load() {
			yield("", ErrClosed)
			return
		}
		scanned := map[*clusterNode]bool{}
		for node := c.shared.nextMaster(scanned); node != nil; node = c.shared.nextMaster(scanned) {
			scanned[node] = true
			stopped := false
			var failed error
			pages := keyPages(yield)
			scanPages(ctx, nodeDoer{node}, "SCAN", nil, match, count, keyType, func(page []Value) bool {
				stopped = !pages(page)
				return !stopped
			}, func(err error) { failed = err })
			if stopped {
				return
			}
			if failed != nil && !c.shared.waitNotMaster(ctx, node) {
				yield("", failed)
				return
			}
		}
	}
}

// HScan iterates over the fields of the hash at key, as Client.HScan.
func (c *ClusterClient) HScan(ctx context.Context, key, match string, count int64) iter.Seq2[HashField, error] {
	return hscan(ctx, c, key, match, count)
}

// SScan iterates over the members of the set at key, as Client.SScan.
func (c *ClusterClient) SScan(ctx context.Context, key, match string, count int64) iter.Seq2[string, error] {
	return sscan(ctx, c, key, match, count)
}

// ZScan iterates over the members of the sorted set at key, as
// Client.ZScan.
func (c *ClusterClient) ZScan(ctx context.Context, key, match string, count int64) iter.Seq2[Z, error] {
	return zscan(ctx, c, key, match, count)
}

// nextMaster returns a master of the current topology not scanned yet.
func (sh *clusterShared) nextMaster(scanned map[*clusterNode]bool) *clusterNode {
	for _, m := range sh.topo.Load().masters() {
		if !scanned[m] {
			return m
		}
	}
	return nil
}

// waitNotMaster reloads the topology until node is no longer a master,
// for up to RetryWait; it reports whether it got there.
func (sh *clusterShared) waitNotMaster(ctx context.Context, node *clusterNode) bool {
	budget := &clusterCall{}
	for {
		sh.kickRefresh()
		if sh.pause(ctx, budget) != nil {
			return false
		}
		isMaster := false
		for _, m := range sh.topo.Load().masters() {
			isMaster = isMaster || m == node
		}
		if !isMaster {
			return true
		}
	}
}

// nodeDoer runs commands on one node, whatever their keys.
type nodeDoer struct{ node *clusterNode }

func (d nodeDoer) Do(ctx context.Context, name string, args ...any) (Value, error) {
	cl, done, err := d.node.use(ctx)
	if err != nil {
		return Value{}, err
	}
	defer done()
	return cl.Do(ctx, name, args...)
}

var _ Doer = (*ClusterClient)(nil)
