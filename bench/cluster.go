package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redmux/redmux/internal/redistest"
)

// modeCluster is the mode of the cluster row's measurements: a Redis
// Cluster of redis-server processes, no affinity, default GOMAXPROCS.
// It is never pinned: with three or more server processes and a client on
// two CPUs there is no split that gives each its own CPU.
const modeCluster = "cluster"

// clusterStartTimeout bounds starting the cluster's nodes, creating the
// cluster and waiting for it to be healthy.
const clusterStartTimeout = 60 * time.Second

// clusterStartEstimate is roughly how long starting and preloading the
// cluster takes, for the estimate of a run.
const clusterStartEstimate = 5 * time.Second

// runCluster starts a Redis Cluster of s.ClusterMasters masters without
// replicas, preloads it through a cluster client, runs the rounds of the
// clients that have a cluster mode, unpinned, and stops every node (each
// by its own pid), also when the run fails or is interrupted.
func runCluster(ctx context.Context, s Settings, res *Results, p *progress) error {
	cl, err := startCluster(ctx, s.ClusterMasters)
	if err != nil {
		return err
	}
	defer cl.Stop()
	pids := make([]int, len(cl.Nodes))
	for i, n := range cl.Nodes {
		pids[i] = n.Pid()
	}
	fmt.Fprintf(p.log, "%s: %d masters, no replicas, redis-server pids %v on %s, unpinned\n",
		modeCluster, len(cl.Nodes), pids, strings.Join(cl.Addrs(), ", "))
	perMaster, err := preloadCluster(ctx, cl.Addrs(), s.ClusterSizes, s.Keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.log, "%s: preloaded %d keys per value size; keys per master: %v\n", modeCluster, s.Keys, perMaster)
	t := target{mode: modeCluster, addr: strings.Join(cl.Addrs(), ","), cluster: true, pids: pids}
	return runRounds(ctx, s, t, s.ClusterSizes, s.ClusterConcurrency, s.ClusterClients, res, p)
}

// startCluster starts the cluster within clusterStartTimeout. The caller
// stops it with Stop.
func startCluster(ctx context.Context, masters int) (*redistest.Cluster, error) {
	ctx, cancel := context.WithTimeout(ctx, clusterStartTimeout)
	defer cancel()
	cl, err := redistest.StartCluster(ctx, masters, 0)
	if err != nil {
		return nil, fmt.Errorf("starting a cluster of %d masters: %w", masters, err)
	}
	return cl, nil
}

// preloadCluster writes every key of every size through go-redis's
// cluster client, pipelined (its pipelines are split by node; MSET cannot
// span slots), reads one back per size, and returns how many keys each
// master holds, which shows they are spread over the cluster. Not
// measured.
func preloadCluster(ctx context.Context, addrs []string, sizes []int, keys int) (map[string]int64, error) {
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, PoolSize: 1})
	defer c.Close()
	for _, size := range sizes {
		names := keyNames(size, keys)
		filler := newFiller(uint64(size), 4*size)
		for start := 0; start < keys; start += preloadBatch {
			_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for _, key := range names[start:min(start+preloadBatch, keys)] {
					p.Set(ctx, key, valueOf(nil, key, size, filler, 0), 0)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("preload: cluster pipeline of SETs: %w", err)
			}
		}
		last := names[keys-1]
		if v, err := c.Get(ctx, last).Bytes(); err != nil || !valueMatches(v, last, size) {
			return nil, fmt.Errorf("preload: GET %s after the SETs: %d bytes, %v", last, len(v), err)
		}
	}
	return keysPerMaster(ctx, c, int64(keys*len(sizes)))
}

// keysPerMaster returns DBSIZE of every master, and fails unless they add
// up to want and every master holds some.
func keysPerMaster(ctx context.Context, c *goredis.ClusterClient, want int64) (map[string]int64, error) {
	counts := map[string]int64{}
	var mu sync.Mutex // ForEachMaster calls fn concurrently
	var sum int64
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		counts[m.Options().Addr] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("preload: DBSIZE: %w", err)
	}
	for addr, n := range counts {
		sum += n
		if n == 0 {
			return counts, fmt.Errorf("preload: master %s holds no key: %v", addr, counts)
		}
	}
	if sum != want {
		return counts, fmt.Errorf("preload: the masters hold %d keys, want %d: %v", sum, want, counts)
	}
	return counts, nil
}
