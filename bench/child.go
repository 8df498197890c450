package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// childFlag, as the first argument, makes the binary a child: it runs one
// measurement and prints one JSON line.
const childFlag = "-child"

// connectTimeout bounds opening a client.
const connectTimeout = 10 * time.Second

// childSpec is one measurement, as the orchestrator asks a child for it.
type childSpec struct {
	Client string
	// Addr is the server's address or, with Cluster, the cluster's seed
	// nodes, comma-separated.
	Addr        string
	Cluster     bool
	Size        int
	Concurrency int
	Keys        int
	Warmup      time.Duration
	Duration    time.Duration
	MaxOps      uint64
}

// args returns the command-line arguments that make a child run s.
func (s childSpec) args() []string {
	return []string{
		childFlag,
		"-client", s.Client,
		"-addr", s.Addr,
		"-cluster=" + strconv.FormatBool(s.Cluster),
		"-size", strconv.Itoa(s.Size),
		"-concurrency", strconv.Itoa(s.Concurrency),
		"-keys", strconv.Itoa(s.Keys),
		"-warmup", s.Warmup.String(),
		"-duration", s.Duration.String(),
		"-max-ops", strconv.FormatUint(s.MaxOps, 10),
	}
}

// parseChildSpec reads the arguments after childFlag.
func parseChildSpec(args []string) (childSpec, error) {
	var s childSpec
	fs := flag.NewFlagSet("child", flag.ContinueOnError)
	fs.StringVar(&s.Client, "client", "", "client to measure")
	fs.StringVar(&s.Addr, "addr", "", "loopback address of the server the orchestrator started (with -cluster: its nodes, comma-separated)")
	fs.BoolVar(&s.Cluster, "cluster", false, "-addr is a Redis Cluster: use the client's cluster mode")
	fs.IntVar(&s.Size, "size", 64, "value size in bytes")
	fs.IntVar(&s.Concurrency, "concurrency", 1, "goroutines")
	fs.IntVar(&s.Keys, "keys", 10000, "preloaded keys")
	fs.DurationVar(&s.Warmup, "warmup", 500*time.Millisecond, "warm-up, not counted")
	fs.DurationVar(&s.Duration, "duration", 2*time.Second, "measured time")
	fs.Uint64Var(&s.MaxOps, "max-ops", 20_000_000, "bound on counted operations")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	addrs := []string{s.Addr}
	if s.Cluster {
		addrs = splitList(s.Addr)
	}
	if len(addrs) == 0 {
		return s, fmt.Errorf("child: -addr is empty")
	}
	for _, addr := range addrs {
		if err := checkLoopback(addr); err != nil {
			return s, err
		}
	}
	if s.Concurrency < 1 || s.Keys < 1 || s.Duration <= 0 || s.MaxOps == 0 {
		return s, fmt.Errorf("child: -concurrency, -keys, -duration and -max-ops must be positive")
	}
	return s, checkSize(s.Size, s.Keys)
}

// checkLoopback refuses any address but a loopback one: the benchmark
// only ever talks to the server its orchestrator started.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("child: -addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("child: -addr %q is not a loopback IP address", addr)
	}
	return nil
}

// childMain runs one measurement and prints it as a JSON line on out.
func childMain(args []string, out io.Writer) int {
	spec, err := parseChildSpec(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	m := measure(spec)
	if err := json.NewEncoder(out).Encode(m); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// measure opens the client, runs the workload and returns what it saw.
// A client that cannot connect gives a Measurement with Fatal set.
func measure(spec childSpec) Measurement {
	m := Measurement{
		Client: spec.Client, Size: spec.Size, Concurrency: spec.Concurrency,
		GOMAXPROCS: runtime.GOMAXPROCS(0), CPUs: processCPUs(os.Getpid()),
	}
	c, err := openClient(spec)
	if err != nil {
		m.Fatal = err.Error()
		return m
	}
	t, h, elapsed := runWorkers(spec, c)
	m.Config = c.(describer).Describe()
	if r, ok := c.(extraStats); ok {
		m.Extra = r.extraStats()
	}
	c.Close()
	m.fill(t, h, elapsed)
	return m
}

// openClient opens spec's client within connectTimeout.
func openClient(spec childSpec) (Client, error) {
	cs, err := findClient(spec.Client)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if spec.Cluster {
		if cs.openCluster == nil {
			return nil, fmt.Errorf("client %s has no cluster mode here", spec.Client)
		}
		return cs.openCluster(ctx, splitList(spec.Addr), spec.Concurrency)
	}
	return cs.open(ctx, spec.Addr, spec.Concurrency)
}

// runWorkers runs spec.Concurrency workers through the warm-up and the
// measured window, and merges their tallies and histograms. elapsed is
// the measured time: the window, or less if the operation bound cut it
// short.
func runWorkers(spec childSpec, c Client) (t tally, h *histogram, elapsed time.Duration) {
	keys := keyNames(spec.Size, spec.Keys)
	filler := newFiller(uint64(spec.Size), 4*spec.Size)
	perWorker := (spec.MaxOps + uint64(spec.Concurrency) - 1) / uint64(spec.Concurrency)
	workers := make([]*worker, spec.Concurrency)
	for i := range workers {
		workers[i] = newWorker(i, c, keys, spec.Size, filler, perWorker)
	}
	start := time.Now().Add(spec.Warmup)
	win := window{start: start, end: start.Add(spec.Duration)}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.run(context.Background(), win) })
	}
	wg.Wait()
	h = new(histogram)
	for _, w := range workers {
		t.add(w.tally)
		h.Merge(&w.hist)
	}
	elapsed = spec.Duration
	if t.Capped && t.LastDone.After(win.start) {
		elapsed = min(t.LastDone.Sub(win.start), spec.Duration)
	}
	return t, h, elapsed
}
