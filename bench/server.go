package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redmux/redmux/internal/redistest"
)

// Where pinned mode puts each process.
const (
	serverCPU = "1"
	clientCPU = "0"
)

// serverStartTimeout bounds starting redis-server.
const serverStartTimeout = 15 * time.Second

// startServer starts a redis-server of our own on a free loopback port,
// persistence off (redistest passes --save "" --appendonly no), and in
// pinned mode moves all its threads to serverCPU. The caller stops it with
// Stop, which kills exactly that process.
func startServer(ctx context.Context, pinned bool) (*redistest.Server, error) {
	ctx, cancel := context.WithTimeout(ctx, serverStartTimeout)
	defer cancel()
	s, err := redistest.Start(ctx)
	if err != nil {
		return nil, err
	}
	if pinned {
		if err := pinProcess(s.Pid(), serverCPU); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// pinProcess moves every thread of pid to cpus with taskset, and checks
// that the kernel shows the new affinity.
func pinProcess(pid int, cpus string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -a -p -c %s %d: %v: %s", cpus, pid, err, out)
	}
	if got := processCPUs(pid); got != cpus {
		return fmt.Errorf("redis-server %d may run on CPUs %q after taskset, want %q", pid, got, cpus)
	}
	return nil
}

// processCPUs returns the CPUs pid may run on, from /proc/PID/status.
func processCPUs(pid int) string {
	for line := range strings.Lines(readFile(fmt.Sprintf("/proc/%d/status", pid))) {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// serverVersion returns the version line of redis-server.
func serverVersion() string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// preloadBatch is how many keys one MSET writes.
const preloadBatch = 500

// preload writes every key of every size, then reads one back per size to
// check. It uses go-redis with a single connection: it is not measured.
func preload(ctx context.Context, addr string, sizes []int, keys int) error {
	c := goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: 1})
	defer c.Close()
	for _, size := range sizes {
		names := keyNames(size, keys)
		filler := newFiller(uint64(size), 4*size)
		for start := 0; start < keys; start += preloadBatch {
			pairs := make([]any, 0, 2*preloadBatch)
			for _, key := range names[start:min(start+preloadBatch, keys)] {
				pairs = append(pairs, key, valueOf(nil, key, size, filler, 0))
			}
			if err := c.MSet(ctx, pairs...).Err(); err != nil {
				return fmt.Errorf("preload: MSET: %w", err)
			}
		}
		last := names[keys-1]
		if v, err := c.Get(ctx, last).Bytes(); err != nil || !valueMatches(v, last, size) {
			return fmt.Errorf("preload: GET %s after MSET: %d bytes, %v", last, len(v), err)
		}
	}
	return nil
}
