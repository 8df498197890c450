// Command redmux-bench is the demo and load generator of the redmux Redis
// client: many goroutines, each on its own Clone of one client, run random
// GETs and SETs of self-verifying values, so that a reply delivered to the
// wrong caller or damaged on the way is caught and fails the run. It prints
// a progress line every second and a summary of throughput, latency,
// errors and the client's pipelining at the end.
//
// Run it with -h for the flags. With no -addr it starts an embedded
// miniredis on 127.0.0.1; `make demo` runs it that way. With -cluster it
// loads a Redis Cluster through a redmux.ClusterClient.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/redmux/redmux"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // the run failed its checks, or could not start
	exitUsage  = 2 // bad flags
)

// Bounds on the flags, to turn typos into errors rather than into an
// out-of-memory kill.
const (
	maxConcurrency = 100_000
	maxKeys        = 100_000_000
	maxValueSize   = 64 << 20
	maxManagers    = 1024
	defaultKeys    = 10_000
)

// options are the parsed command-line flags.
type options struct {
	addr         string
	url          string
	cluster      string
	concurrency  int
	duration     time.Duration
	ops          int64
	valueSize    int
	keys         int
	getRatio     float64
	managers     int
	progress     time.Duration
	json         bool
	maxErrorRate float64
}

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the command with args and returns its exit status.
func execute(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "redmux-bench: %v\nRun redmux-bench -h for help.\n", err)
		return exitUsage
	}
	ctl, stopWatching := watchSignals(stdout)
	defer stopWatching()
	sum, err := bench(ctl, opts, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "redmux-bench: %v\n", err)
		return exitFailed
	}
	printSummary(stdout, sum)
	if opts.json {
		if err := printJSON(stdout, sum); err != nil {
			fmt.Fprintf(stderr, "redmux-bench: printing JSON: %v\n", err)
			return exitFailed
		}
	}
	if !sum.OK {
		return exitFailed
	}
	return exitOK
}

// bench opens the server and the client, preloads the keys, runs the load
// and returns its judged summary.
func bench(ctl *control, opts *options, out io.Writer) (*summary, error) {
	client, srv, err := connect(ctl, opts, out)
	if err != nil {
		return nil, err
	}
	defer srv.close()
	defer client.Close()
	srv.describe(ctl.stop, client)
	fmt.Fprintf(out, "connected with %d managers; preloading %d keys of %d bytes\n",
		len(client.Stats().Managers), opts.keys, opts.valueSize)
	took, err := preload(ctl, client, opts)
	if err != nil {
		return nil, fmt.Errorf("preloading keys: %w", err)
	}
	fmt.Fprintf(out, "preloaded in %s; running %d goroutines for %s%s\n",
		formatLatency(took), opts.concurrency, opts.duration, opsLimitNote(opts.ops))
	res := runBench(ctl, client, opts, out)
	sum := summarize(opts, srv, took, res)
	sum.judge(opts.maxErrorRate)
	return sum, nil
}

// connect opens the server under load and a client on it: with -cluster a
// ClusterClient on the user's cluster, otherwise a Client on -addr or
// -url, or on an embedded miniredis it starts. The caller closes both.
func connect(ctl *control, opts *options, out io.Writer) (client, *server, error) {
	cfg, err := opts.clientConfig()
	if err != nil {
		return nil, nil, err
	}
	if seeds := opts.clusterSeeds(); len(seeds) > 0 {
		return connectCluster(ctl.stop, seeds, cfg, out)
	}
	srv, err := openServer(cfg.Addr, out)
	if err != nil {
		return nil, nil, err
	}
	cfg.Addr = srv.addr
	c, err := redmux.New(ctl.stop, cfg)
	if err != nil {
		srv.close()
		return nil, nil, fmt.Errorf("connecting to %s: %w", srv.addr, err)
	}
	return c, srv, nil
}

// opsLimitNote describes the -ops limit, if any.
func opsLimitNote(ops int64) string {
	if ops == 0 {
		return ""
	}
	return fmt.Sprintf(" or %d operations, whichever comes first", ops)
}

// usageHeader introduces -h; the flags follow it.
const usageHeader = `redmux-bench: demo and load generator for the redmux Redis client.

It SETs every key of -keys once, then runs -concurrency goroutines, each on
its own Clone() of one client, doing random GETs (-get-ratio) and SETs
until -duration has passed or -ops operations have run. Every value embeds
its key and a checksum, so every GET reply is checked against the key it
asked for: a reply that belongs to another key, or is damaged, is counted as
a mismatch and fails the run. A progress line is printed every -progress,
and a summary at the end (also after Ctrl-C): throughput, GET/SET counts,
errors by kind, mismatches, latency percentiles, and the client's managers,
batches (automatic pipelining) and bytes.

With no -addr it starts an embedded miniredis (an in-process fake Redis) on
127.0.0.1. With -addr it uses that server: point it only at a server you run
yourself, for example on loopback. With -cluster it loads a Redis Cluster
through a redmux.ClusterClient instead, the keys spread over its slots.
It overwrites keys named redmux-bench:0 to redmux-bench:<keys-1> and leaves
them there.

Usage:
  redmux-bench [flags]

Examples:
  redmux-bench -duration 3s
  redmux-bench -addr 127.0.0.1:6379 -concurrency 512 -managers 4 -duration 30s -json
  redmux-bench -cluster 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 -concurrency 512

Exit status: 0 if the run passed; 1 if any reply failed verification, a
preloaded key was missing, more than -max-error-rate of the operations
failed, or the run could not start; 2 for invalid flags.

Flags:
`

// parseOptions parses and validates args. For -h it prints the usage to
// out and returns flag.ErrHelp.
func parseOptions(args []string, out io.Writer) (*options, error) {
	opts := &options{}
	fs := flag.NewFlagSet("redmux-bench", flag.ContinueOnError)
	defineFlags(fs, opts)
	fs.SetOutput(io.Discard) // errors are returned, help is printed below
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fmt.Fprint(out, usageHeader)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every setting is a flag", fs.Arg(0))
	}
	return opts, opts.validate()
}

// defineFlags binds the flags of fs to opts, with their defaults.
func defineFlags(fs *flag.FlagSet, opts *options) {
	fs.StringVar(&opts.addr, "addr", "",
		"`host:port` of the server to load; empty starts an embedded miniredis on 127.0.0.1.\n"+
			"Use only a server you run yourself (e.g. on loopback): the run overwrites keys redmux-bench:*")
	fs.StringVar(&opts.url, "url", "",
		"server `URL` instead of -addr: redis://[user:password@]host:port[/db][?protocol=2&...], rediss:// for TLS,\n"+
			"unix:///path.sock (see redmux.ParseURL); the same rule as -addr: only a server you run yourself")
	fs.StringVar(&opts.cluster, "cluster", "",
		"seed nodes of a Redis Cluster, `host:port,host:port,...` (any reachable node will do): load it through a\n"+
			"redmux.ClusterClient; -managers applies per node. The same rule as -addr: only a cluster you run yourself")
	fs.IntVar(&opts.concurrency, "concurrency", 64,
		"number of worker goroutines, each running one request at a time on its own Clone() of the client")
	fs.DurationVar(&opts.duration, "duration", 10*time.Second,
		"how long the load runs, after the preload; the run stops at -duration or -ops, whichever comes first")
	fs.Int64Var(&opts.ops, "ops", 0,
		"stop after this many operations in total: GETs and SETs, failed ones included, preload not; 0 = no limit")
	fs.IntVar(&opts.valueSize, "value-size", 64, fmt.Sprintf(
		"size of every value in `bytes`; each value embeds its key, a version and a checksum,\n"+
			"so the minimum is the longest key's length + %d (%d for the default -keys)",
		valueOverhead(""), minValueSize(defaultKeys)))
	fs.IntVar(&opts.keys, "keys", defaultKeys,
		"number of distinct keys; each is SET once before the run, so every GET should find a value")
	fs.Float64Var(&opts.getRatio, "get-ratio", 0.8,
		"`fraction` of operations that are GETs, from 0 to 1; the rest are SETs")
	fs.IntVar(&opts.managers, "managers", 0,
		fmt.Sprintf("connection managers (one TCP connection each) in the client; 0 = library default, %d here\n"+
			"(with -cluster, per node; the default is %d)", redmux.DefaultManagers(), redmux.DefaultClusterNodeManagers))
	fs.DurationVar(&opts.progress, "progress", time.Second,
		"`interval` between progress lines (elapsed, ops/s, totals, errors, mismatches, batch size); 0 = none")
	fs.BoolVar(&opts.json, "json", false,
		"also print the final summary as one line of JSON, the last line of output")
	fs.Float64Var(&opts.maxErrorRate, "max-error-rate", 0.001,
		"largest `fraction` of operations that may fail with an error before the exit status is 1\n"+
			"(any mismatch or missing key makes it 1 regardless)")
}

// clientConfig is the client's Config from -addr or -url, and -managers;
// with -cluster, the template of each node's Config. Its Addr is empty
// when no server is named (an embedded server is started).
func (o *options) clientConfig() (redmux.Config, error) {
	cfg := redmux.Config{Addr: o.addr}
	if o.url != "" {
		if o.addr != "" {
			return cfg, fmt.Errorf("-addr and -url both name a server: give one")
		}
		var err error
		if cfg, err = redmux.ParseURL(o.url); err != nil {
			return cfg, fmt.Errorf("-url: %w", err)
		}
	}
	if o.cluster != "" {
		if o.addr != "" || o.url != "" {
			return cfg, fmt.Errorf("-cluster and -addr or -url both name a server: give one")
		}
		if len(o.clusterSeeds()) == 0 {
			return cfg, fmt.Errorf("-cluster %q names no address: want seed nodes as host:port,host:port", o.cluster)
		}
	}
	if o.managers != 0 {
		cfg.Managers = o.managers
	}
	return cfg, nil
}

// clusterSeeds returns the addresses of -cluster, or none without it.
func (o *options) clusterSeeds() []string {
	var seeds []string
	for _, a := range strings.Split(o.cluster, ",") {
		if a = strings.TrimSpace(a); a != "" {
			seeds = append(seeds, a)
		}
	}
	return seeds
}

// validate reports the first invalid flag, naming it and the valid range.
func (o *options) validate() error {
	if _, err := o.clientConfig(); err != nil {
		return err
	}
	switch {
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return fmt.Errorf("-concurrency %d is out of range: want 1 to %d goroutines", o.concurrency, maxConcurrency)
	case o.duration <= 0:
		return fmt.Errorf("-duration %v must be positive, like 10s or 1m", o.duration)
	case o.ops < 0:
		return fmt.Errorf("-ops %d is negative: want a maximum number of operations, or 0 for no limit", o.ops)
	case o.keys < 1 || o.keys > maxKeys:
		return fmt.Errorf("-keys %d is out of range: want 1 to %d keys", o.keys, maxKeys)
	case o.valueSize < minValueSize(o.keys):
		return fmt.Errorf("-value-size %d is too small: values embed their key, a version and a checksum, which takes %d bytes with -keys %d",
			o.valueSize, minValueSize(o.keys), o.keys)
	case o.valueSize > maxValueSize:
		return fmt.Errorf("-value-size %d is too large: at most %d bytes (64 MiB)", o.valueSize, maxValueSize)
	case !(o.getRatio >= 0 && o.getRatio <= 1):
		return fmt.Errorf("-get-ratio %v is out of range: want a fraction from 0 (only SETs) to 1 (only GETs)", o.getRatio)
	case o.managers < 0 || o.managers > maxManagers:
		return fmt.Errorf("-managers %d is out of range: want 0 (library default) to %d", o.managers, maxManagers)
	case o.progress < 0:
		return fmt.Errorf("-progress %v is negative: want an interval like 1s, or 0 for no progress lines", o.progress)
	case !(o.maxErrorRate >= 0 && o.maxErrorRate <= 1):
		return fmt.Errorf("-max-error-rate %v is out of range: want a fraction from 0 to 1", o.maxErrorRate)
	}
	return nil
}
