package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"github.com/redmux/redmux"
)

// The cluster adapters. redmux runs with its cluster defaults; each peer
// gets, per node, at least what its single-server row has for its one
// server, so that no peer is held back by smaller cluster defaults:
//
//   - redmux: redmux.NewCluster with a zero Node config: one manager per
//     node (DefaultClusterNodeManagers), which measured faster than two.
//   - go-redis: ClusterOptions.PoolSize applies per node and defaults to
//     5 x GOMAXPROCS in a cluster, half of redis.NewClient's
//     10 x GOMAXPROCS; it is set to 10 x GOMAXPROCS per node.
//   - rueidis: in cluster mode a zero PipelineMultiplex means one
//     pipelined connection per node, while for one server it means
//     2^min(log2(GOMAXPROCS), 2); it is set to the single-server value per
//     node. DisableCache as in the single-server row.

// --- redmux ---

// redmuxClusterClient is redmux's ClusterClient with its defaults.
type redmuxClusterClient struct{ c *redmux.ClusterClient }

func openRedmuxCluster(ctx context.Context, addrs []string, _ int) (Client, error) {
	c, err := redmux.NewCluster(ctx, redmux.ClusterConfig{Addrs: addrs})
	if err != nil {
		return nil, err
	}
	return redmuxClusterClient{c}, nil
}

func (r redmuxClusterClient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return r.c.Get(ctx, key)
}

func (r redmuxClusterClient) Set(ctx context.Context, key string, value []byte) error {
	return r.c.Set(ctx, key, value)
}

func (r redmuxClusterClient) Close() { _ = r.c.Close() }

func (r redmuxClusterClient) Describe() string {
	cs := r.c.ClusterStats()
	return fmt.Sprintf("redmux.NewCluster(ctx, redmux.ClusterConfig{Addrs: seeds}), all defaults: %d nodes dialed, "+
		"%d managers in all (DefaultClusterNodeManagers = 1 per node), QueueLen=%d, MaxInFlight=%d, MaxBatchBytes=%d, "+
		"MaxRedirects=%d, RetryWait=%v, MinRefreshInterval=%v",
		len(cs.Nodes), len(r.c.Stats().Managers), redmux.DefaultQueueLen, redmux.DefaultMaxInFlight, redmux.DefaultMaxBatchBytes,
		redmux.DefaultMaxRedirects, redmux.DefaultClusterRetryWait, redmux.DefaultMinRefreshInterval)
}

// extraStats returns the requests per write, the redirections followed
// (0 on a stable cluster) and the topology loads (1 on a stable cluster:
// NewCluster's own load counts).
func (r redmuxClusterClient) extraStats() map[string]float64 {
	m := batchStats(r.c.Stats())
	if m == nil {
		m = map[string]float64{}
	}
	cs := r.c.ClusterStats()
	m["redirects"], m["refreshes"] = float64(cs.Redirects), float64(cs.Refreshes)
	return m
}

// --- go-redis ---

// goRedisClusterClient is go-redis's ClusterClient with PoolSize per node
// as redis.NewClient's default for one server.
type goRedisClusterClient struct{ c *goredis.ClusterClient }

// goRedisPoolSize is redis.NewClient's default PoolSize: 10 x GOMAXPROCS.
func goRedisPoolSize() int { return 10 * runtime.GOMAXPROCS(0) }

func openGoRedisCluster(ctx context.Context, addrs []string, _ int) (Client, error) {
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, PoolSize: goRedisPoolSize()})
	err := c.ForEachShard(ctx, func(ctx context.Context, shard *goredis.Client) error {
		return shard.Ping(ctx).Err()
	})
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return goRedisClusterClient{c}, nil
}

func (g goRedisClusterClient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := g.c.Get(ctx, key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (g goRedisClusterClient) Set(ctx context.Context, key string, value []byte) error {
	return g.c.Set(ctx, key, value, 0).Err()
}

func (g goRedisClusterClient) Close() { _ = g.c.Close() }

// Describe reports the options of one node's client: ClusterOptions
// leaves some zero values to be resolved per node.
func (g goRedisClusterClient) Describe() string {
	o := g.c.Options()
	node, err := g.c.MasterForKey(context.Background(), keyName(64, 0))
	if err != nil {
		return fmt.Sprintf("redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, PoolSize: %d}); node options unknown: %v", o.PoolSize, err)
	}
	n := node.Options()
	return fmt.Sprintf("redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, PoolSize: %d}), per node: PoolSize = 10 x GOMAXPROCS "+
		"as redis.NewClient's default (the cluster default is 5 x GOMAXPROCS), otherwise defaults: MinIdleConns=%d, Protocol=%d, "+
		"ReadBufferSize=%d, WriteBufferSize=%d, ReadTimeout=%v, WriteTimeout=%v, PoolTimeout=%v, MaxRedirects=%d, ReadOnly=%v",
		n.PoolSize, n.MinIdleConns, n.Protocol, n.ReadBufferSize, n.WriteBufferSize, n.ReadTimeout, n.WriteTimeout, n.PoolTimeout,
		o.MaxRedirects, o.ReadOnly)
}

// --- rueidis ---

// rueidisClusterClient is rueidis in cluster mode, which NewClient
// detects from the seeds, with the single-server connections per node.
type rueidisClusterClient struct {
	rueidisClient
	multiplex int
}

func openRueidisCluster(_ context.Context, addrs []string, _ int) (Client, error) {
	multiplex := rueidisMultiplex(runtime.GOMAXPROCS(0))
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs, DisableCache: true, PipelineMultiplex: multiplex})
	if err != nil {
		return nil, err
	}
	if len(c.Nodes()) < 2 { // one node: rueidis fell back to a single-server client
		c.Close()
		return nil, fmt.Errorf("rueidis did not open a cluster client: nodes %v", keys(c.Nodes()))
	}
	return rueidisClusterClient{rueidisClient{c}, multiplex}, nil
}

func (r rueidisClusterClient) Describe() string {
	return fmt.Sprintf("rueidis.NewClient(rueidis.ClientOption{InitAddress: seeds, DisableCache: true, PipelineMultiplex: %d}) "+
		"in cluster mode, %d nodes: %d pipelined connection(s) per node as for one server (the cluster default is 1), "+
		"otherwise defaults: auto-pipelining on, RingScaleEachConn=%d, ReadBufferEachConn=WriteBufferEachConn=%d, MaxFlushDelay=0",
		r.multiplex, len(r.c.Nodes()), 1<<r.multiplex, rueidis.DefaultRingScale, rueidis.DefaultReadBuffer)
}

// keys returns the keys of m, in no order.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
