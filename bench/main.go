// Command bench measures redmux side by side with go-redis, rueidis and
// redigo against a redis-server it starts itself on a free loopback port.
//
// The orchestrator (this binary without -child) starts the server, preloads
// the keys and runs every measurement in a fresh child process (this binary
// again, with -child), which prints one JSON line. Two machine modes:
// pinned (server on CPU 1, each child on CPU 0 with GOMAXPROCS=1, via
// taskset) and unpinned (no affinity, default GOMAXPROCS). Then, unless
// -cluster=false, the clients that have a cluster mode (all but redigo)
// run against a Redis Cluster of -cluster-masters redis-server processes
// it starts too, unpinned only. Clients take turns in rounds, rotated each
// round. The results go to -out:
// results.json (every round), results.md (tables) and ops-per-second.png.
//
// Run it with `make bench` from the repository root; `go run . -h` lists
// the flags, and -quick makes a smoke run of a few seconds per mode.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		os.Exit(childMain(os.Args[2:], os.Stdout))
	}
	os.Exit(orchestratorMain(os.Args[1:], os.Stdout))
}

// orchestratorMain parses the flags and runs the whole benchmark, or only
// rewrites the report from results.json with -report-only.
func orchestratorMain(args []string, log io.Writer) int {
	s, reportOnly, err := parseSettings(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if reportOnly {
		err = rewriteReport(s.Out, log)
	} else {
		err = orchestrate(ctx, s, log)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

// Settings are what one run measures, from the flags.
type Settings struct {
	Modes       []string      `json:"modes"`
	Sizes       []int         `json:"sizes"`
	Concurrency []int         `json:"concurrency"`
	Clients     []string      `json:"clients"`
	Rounds      int           `json:"rounds"`
	Warmup      time.Duration `json:"warmup_ns"`
	Duration    time.Duration `json:"duration_ns"`
	Keys        int           `json:"keys"`
	MaxOps      uint64        `json:"max_ops"`
	Ceiling     bool          `json:"ceiling"`
	MaxOtherCPU float64       `json:"max_other_cpu"`
	Retries     int           `json:"retries"`
	Quick       bool          `json:"quick"`
	Out         string        `json:"-"`

	// Single runs Modes against one redis-server; Cluster runs the
	// cluster row: ClusterClients against a cluster of ClusterMasters
	// masters without replicas, unpinned, at ClusterSizes and
	// ClusterConcurrency.
	Single             bool     `json:"single"`
	Cluster            bool     `json:"cluster"`
	ClusterMasters     int      `json:"cluster_masters,omitempty"`
	ClusterSizes       []int    `json:"cluster_sizes,omitempty"`
	ClusterConcurrency []int    `json:"cluster_concurrency,omitempty"`
	ClusterClients     []string `json:"cluster_clients,omitempty"`
}

// parseSettings reads the orchestrator's flags.
func parseSettings(args []string) (s Settings, reportOnly bool, err error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	modes := fs.String("modes", modePinned+","+modeUnpinned, "machine modes to run, comma-separated")
	sizes := fs.String("sizes", "64,4096", "value sizes in bytes, comma-separated")
	conc := fs.String("concurrency", "1,8,64,512", "goroutine counts, comma-separated")
	clients := fs.String("clients", strings.Join(clientNames(), ","), "clients, comma-separated, in the order of round 1")
	fs.IntVar(&s.Rounds, "rounds", 3, "rounds; each client runs once per round and setting")
	fs.DurationVar(&s.Warmup, "warmup", 500*time.Millisecond, "warm-up per measurement, not counted")
	fs.DurationVar(&s.Duration, "duration", 2*time.Second, "measured time per measurement")
	fs.IntVar(&s.Keys, "keys", 10000, "preloaded keys per value size")
	fs.Uint64Var(&s.MaxOps, "max-ops", 20_000_000, "bound on the operations counted per measurement")
	fs.BoolVar(&s.Ceiling, "ceiling", true, "also run redis-benchmark -P 32 as the ceiling")
	fs.Float64Var(&s.MaxOtherCPU, "max-other-cpu", 0.2, "CPUs other processes may use during a measurement before it is measured again")
	fs.IntVar(&s.Retries, "retries", 3, "how many times a measurement disturbed by other processes is measured again")
	fs.BoolVar(&s.Single, "single", true, "measure -modes against one redis-server (-single=false with -cluster: only the cluster row)")
	fs.BoolVar(&s.Cluster, "cluster", true, "also measure the clients with a cluster mode against a Redis Cluster it starts, unpinned only")
	fs.IntVar(&s.ClusterMasters, "cluster-masters", 3, "masters of that cluster (no replicas); at least 3")
	clusterSizes := fs.String("cluster-sizes", "64", "value sizes of the cluster row, comma-separated")
	clusterConc := fs.String("cluster-concurrency", "64,512", "goroutine counts of the cluster row, comma-separated")
	fs.BoolVar(&s.Quick, "quick", false, "smoke run: 1 round of 0.5 s, 64 B, goroutines 1 and 64 (cluster: 64), into results-quick")
	fs.StringVar(&s.Out, "out", "", "directory for the results (default results, or results-quick with -quick)")
	fs.BoolVar(&reportOnly, "report-only", false, "only rewrite results.md and the chart from -out/results.json")
	if err = fs.Parse(args); err != nil {
		return s, false, err
	}
	if s.Quick {
		applyQuick(&s, fs)
	}
	if s.Out == "" {
		s.Out = map[bool]string{false: "results", true: "results-quick"}[s.Quick]
	}
	if err = s.parseLists(*modes, *sizes, *conc, *clients); err != nil {
		return s, reportOnly, err
	}
	clusterSet := false
	fs.Visit(func(f *flag.Flag) { clusterSet = clusterSet || f.Name == "cluster" })
	err = s.parseClusterLists(*clusterSizes, *clusterConc, clusterSet)
	return s, reportOnly, err
}

// applyQuick shortens the run for a smoke test, keeping any flag the user
// set explicitly.
func applyQuick(s *Settings, fs *flag.FlagSet) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	quick := map[string]string{
		"rounds": "1", "warmup": "100ms", "duration": "500ms", "sizes": "64", "concurrency": "1,64",
		"cluster-sizes": "64", "cluster-concurrency": "64",
	}
	for name, value := range quick {
		if !set[name] {
			_ = fs.Set(name, value)
		}
	}
}

// parseLists fills the list settings and checks them.
func (s *Settings) parseLists(modes, sizes, conc, clients string) error {
	s.Modes, s.Clients = splitList(modes), splitList(clients)
	var err error
	if s.Sizes, err = parseInts("sizes", sizes); err != nil {
		return err
	}
	if s.Concurrency, err = parseInts("concurrency", conc); err != nil {
		return err
	}
	for _, m := range s.Modes {
		if m != modePinned && m != modeUnpinned {
			return fmt.Errorf("-modes: unknown mode %q (want %s or %s)", m, modePinned, modeUnpinned)
		}
	}
	for _, c := range s.Clients {
		if _, err := findClient(c); err != nil {
			return fmt.Errorf("-clients: %v", err)
		}
	}
	for _, size := range s.Sizes {
		if err := checkSize(size, s.Keys); err != nil {
			return fmt.Errorf("-sizes: %v", err)
		}
	}
	if s.Rounds < 1 || s.Keys < 1 || s.Duration <= 0 || s.Warmup < 0 || s.MaxOps == 0 || len(s.Modes) == 0 || len(s.Clients) == 0 {
		return errors.New("-rounds, -keys, -duration, -max-ops, -modes and -clients must be positive or non-empty")
	}
	if s.MaxOtherCPU <= 0 || s.Retries < 0 {
		return errors.New("-max-other-cpu must be positive and -retries not negative")
	}
	return nil
}

// parseClusterLists fills and checks the cluster row's settings. The
// cluster row runs the clients of -clients that have a cluster adapter;
// when there is none, it is an error if -cluster was given (explicit),
// and otherwise the cluster row is left out.
func (s *Settings) parseClusterLists(sizes, conc string, explicit bool) error {
	var err error
	if s.ClusterSizes, err = parseInts("cluster-sizes", sizes); err != nil {
		return err
	}
	if s.ClusterConcurrency, err = parseInts("cluster-concurrency", conc); err != nil {
		return err
	}
	for _, size := range s.ClusterSizes {
		if err := checkSize(size, s.Keys); err != nil {
			return fmt.Errorf("-cluster-sizes: %v", err)
		}
	}
	if s.ClusterMasters < 3 {
		return fmt.Errorf("-cluster-masters %d: a Redis Cluster needs at least 3 masters", s.ClusterMasters)
	}
	s.ClusterClients = nil
	for _, c := range s.Clients {
		if cs, _ := findClient(c); cs.openCluster != nil {
			s.ClusterClients = append(s.ClusterClients, c)
		}
	}
	if s.Cluster && len(s.ClusterClients) == 0 {
		if explicit {
			return fmt.Errorf("-cluster: none of -clients %v has a cluster mode", s.Clients)
		}
		s.Cluster = false
	}
	if !s.Single && !s.Cluster {
		return errors.New("nothing to measure: -single=false, and no cluster row")
	}
	return nil
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(name, s string) ([]int, error) {
	var out []int
	for _, item := range splitList(s) {
		n, err := strconv.Atoi(item)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-%s: %q is not a positive integer", name, item)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-%s is empty", name)
	}
	return out, nil
}

// total returns the number of measurements s asks for.
func (s Settings) total() int {
	n := 0
	if s.Single {
		n += len(s.Modes) * s.Rounds * len(s.Sizes) * len(s.Concurrency) * len(s.Clients)
	}
	if s.Cluster {
		n += s.Rounds * len(s.ClusterSizes) * len(s.ClusterConcurrency) * len(s.ClusterClients)
	}
	return n
}

// estimate returns roughly how long the run takes: each measurement plus
// a process start, and the ceiling runs.
func (s Settings) estimate() time.Duration {
	const perChild = 150 * time.Millisecond
	d := time.Duration(s.total()) * (s.Warmup + s.Duration + perChild)
	if s.Ceiling && s.Single {
		d += time.Duration(len(s.Modes)*len(s.Sizes)) * (2*s.Duration + time.Second)
	}
	if s.Cluster {
		d += clusterStartEstimate
	}
	return d
}
