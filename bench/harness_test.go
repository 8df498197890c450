package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRotateGivesEachClientTheFirstTurn checks that over len(clients)
// rounds every client goes first exactly once and each round is a
// permutation of the clients.
func TestRotateGivesEachClientTheFirstTurn(t *testing.T) {
	clients := []string{"a", "b", "c", "d"}
	first := map[string]int{}
	for r := range len(clients) {
		order := rotate(clients, r)
		first[order[0]]++
		sorted := slices.Sorted(slices.Values(order))
		if !slices.Equal(sorted, clients) {
			t.Fatalf("round %d: %v is not a permutation of %v", r, order, clients)
		}
	}
	for _, c := range clients {
		if first[c] != 1 {
			t.Errorf("client %s went first %d times in %d rounds, want 1", c, first[c], len(clients))
		}
	}
	if got := rotate(clients, 5); !slices.Equal(got, []string{"b", "c", "d", "a"}) {
		t.Errorf("rotate(_, 5) = %v, want it to wrap to round 1's order", got)
	}
	if got := rotate(clients, 0); !slices.Equal(got, clients) || &got[0] == &clients[0] {
		t.Errorf("rotate(_, 0) = %v, want a copy of the clients in order", got)
	}
}

// m returns a measurement of client at one setting with ops/s and p99.
func m(client string, round int, ops, p99 float64) Measurement {
	return Measurement{Mode: modePinned, Size: 64, Concurrency: 8, Client: client, Round: round, OpsPerSec: ops, P99Micros: p99}
}

// TestMedianAndRatio checks the median over rounds, the round whose
// latencies are reported, the spread, and the ratio to the baseline.
func TestMedianAndRatio(t *testing.T) {
	ms := []Measurement{
		m(nameRedmux, 0, 300, 30), m(nameRedmux, 1, 100, 10), m(nameRedmux, 2, 200, 20),
		m(baseline, 0, 50, 5), m(baseline, 1, 100, 1), m(baseline, 2, 80, 8), m(baseline, 3, 90, 9),
	}
	g := summarize(ms, []string{nameRedmux, baseline})
	k := setting{modePinned, 64, 8}
	r, _ := g.cell(k, nameRedmux)
	if r.Median != 200 || r.MedianRound.P99Micros != 20 || r.Min != 100 || r.Max != 300 || r.Rounds != 3 {
		t.Errorf("redmux summary = %+v, want median 200 from the round with p99 20, min 100, max 300", r)
	}
	if math.Abs(r.Spread()-2) > 1e-9 {
		t.Errorf("spread = %v, want max/min-1 = 2", r.Spread())
	}
	b, _ := g.cell(k, baseline)
	if b.Median != 85 || b.MedianRound.P99Micros != 8 {
		t.Errorf("even rounds: median = %v (p99 %v), want mean of the middle two 85 and the lower middle round's p99 8", b.Median, b.MedianRound.P99Micros)
	}
	if math.Abs(r.Ratio-200.0/85) > 1e-9 || b.Ratio != 1 {
		t.Errorf("ratios = %v, %v; want %v and 1", r.Ratio, b.Ratio, 200.0/85)
	}
}

// TestFailedRoundsLeaveTheMedian checks that a round without a result is
// counted but not used, and that failures are added up.
func TestFailedRoundsLeaveTheMedian(t *testing.T) {
	bad := m(nameRedmux, 1, 0, 0)
	bad.Fatal = "hung"
	errs := m(nameRedmux, 2, 100, 10)
	errs.Errors, errs.WrongValues = 2, 1
	g := summarize([]Measurement{m(nameRedmux, 0, 300, 30), bad, errs}, []string{nameRedmux})
	s, _ := g.cell(setting{modePinned, 64, 8}, nameRedmux)
	if s.Rounds != 2 || s.Fatal != 1 || s.Failures != 3 || s.Median != 200 {
		t.Errorf("summary = %+v, want 2 rounds, 1 fatal, 3 failures, median 200", s)
	}
	if s.Ratio != 0 {
		t.Errorf("ratio without a baseline = %v, want 0 (unknown)", s.Ratio)
	}
}

// TestValueCheck checks that a value is accepted for its own key and
// size only.
func TestValueCheck(t *testing.T) {
	filler := newFiller(1, 4*64)
	key, other := keyName(64, 1), keyName(64, 10)
	v := valueOf(nil, key, 64, filler, 17)
	if len(v) != 64 || !valueMatches(v, key, 64) {
		t.Fatalf("valueOf = %q (%d bytes), does not match its own key", v, len(v))
	}
	if valueMatches(v, other, 64) {
		t.Errorf("a value of %s matched %s", key, other)
	}
	if w := valueOf(nil, other, 64, filler, 0); valueMatches(w, key, 64) {
		t.Errorf("a value of %s matched %s, whose name is its prefix", other, key)
	}
	if valueMatches(v[:63], key, 64) || valueMatches(append(slices.Clone(v), 'x'), key, 64) {
		t.Error("a value of the wrong size matched")
	}
	if valueMatches(nil, key, 64) {
		t.Error("an empty value matched")
	}
	if err := checkSize(10, 10000); err == nil {
		t.Error("checkSize accepted values too small for the keys")
	}
}

// fakeClient is an in-memory Client that can return wrong values and
// errors on chosen keys.
type fakeClient struct {
	mu       sync.Mutex
	data     map[string][]byte
	wrongFor string // Get of this key returns another key's value
	failFor  string // Get and Set of this key fail
}

func (f *fakeClient) Get(_ context.Context, key string) ([]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch key {
	case f.failFor:
		return nil, false, errors.New("boom")
	case f.wrongFor:
		return valueOf(nil, "someone-else", 64, newFiller(2, 256), 0), true, nil
	}
	v, ok := f.data[key]
	return slices.Clone(v), ok, nil
}

func (f *fakeClient) Set(_ context.Context, key string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if key == f.failFor {
		return errors.New("boom")
	}
	f.data[key] = slices.Clone(value)
	return nil
}

func (f *fakeClient) Close() {}

// TestWorkerCountsWrongValuesAndErrors runs a worker against the fake
// client: correct operations are counted in the window, wrong values and
// errors are not, and each is tallied.
func TestWorkerCountsWrongValuesAndErrors(t *testing.T) {
	keys := keyNames(64, 3)
	filler := newFiller(1, 256)
	f := &fakeClient{data: map[string][]byte{}, wrongFor: keys[1], failFor: keys[2]}
	for _, k := range keys {
		f.data[k] = valueOf(nil, k, 64, filler, 0)
	}
	w := newWorker(0, f, keys, 64, filler, 1_000_000)
	now := time.Now()
	w.run(context.Background(), window{start: now, end: now.Add(30 * time.Millisecond)})
	tl := w.tally
	if tl.Ops == 0 || tl.WrongValues == 0 || tl.Errors == 0 {
		t.Fatalf("tally = %+v, want counted ops, wrong values and errors", tl)
	}
	if tl.Ops != tl.Gets+tl.Sets || w.hist.Count() != tl.Ops {
		t.Errorf("ops %d != gets %d + sets %d, or histogram count %d != ops", tl.Ops, tl.Gets, tl.Sets, w.hist.Count())
	}
	if tl.Capped {
		t.Error("the worker says it hit its operation bound")
	}
	if !strings.Contains(tl.FirstError, "boom") && !strings.Contains(tl.FirstError, "wrong value") {
		t.Errorf("first error %q names neither failure", tl.FirstError)
	}
}

// TestWorkerStopsAtItsBound checks the operation bound and the mix of
// GETs and SETs.
func TestWorkerStopsAtItsBound(t *testing.T) {
	keys := keyNames(64, 2)
	filler := newFiller(1, 256)
	f := &fakeClient{data: map[string][]byte{}}
	for _, k := range keys {
		f.data[k] = valueOf(nil, k, 64, filler, 0)
	}
	w := newWorker(0, f, keys, 64, filler, 10_000)
	now := time.Now()
	w.run(context.Background(), window{start: now, end: now.Add(time.Minute)})
	if w.tally.Ops != 10_000 || !w.tally.Capped || w.tally.failures() != 0 {
		t.Errorf("tally = %+v, want exactly 10000 ops, capped, no failures", w.tally)
	}
	if frac := float64(w.tally.Gets) / float64(w.tally.Ops); math.Abs(frac-getPercent/100.0) > 0.03 {
		t.Errorf("GET fraction %.3f, want %d%%", frac, getPercent)
	}
}

// TestChildSpecRoundTrip checks that the orchestrator's arguments parse
// back into the same spec, and that only loopback addresses are accepted.
func TestChildSpecRoundTrip(t *testing.T) {
	want := childSpec{Client: nameRedigo, Addr: "127.0.0.1:6390", Size: 4096, Concurrency: 512, Keys: 10000,
		Warmup: 500 * time.Millisecond, Duration: 2 * time.Second, MaxOps: 123}
	args := want.args()
	if args[0] != childFlag {
		t.Fatalf("args start with %q, want %q", args[0], childFlag)
	}
	got, err := parseChildSpec(args[1:])
	if err != nil || got != want {
		t.Fatalf("parseChildSpec(args()) = %+v, %v; want %+v", got, err, want)
	}
	for _, addr := range []string{"10.0.0.1:6379", "example.com:6379", "6379"} {
		bad := want
		bad.Addr = addr
		if _, err := parseChildSpec(bad.args()[1:]); err == nil {
			t.Errorf("parseChildSpec accepted -addr %s", addr)
		}
	}
	cl := want
	cl.Client, cl.Cluster, cl.Addr = nameRueidis, true, "127.0.0.1:7000,127.0.0.1:7001,[::1]:7002"
	if got, err := parseChildSpec(cl.args()[1:]); err != nil || got != cl {
		t.Errorf("cluster spec: parseChildSpec(args()) = %+v, %v; want %+v", got, err, cl)
	}
	for _, addrs := range []string{"127.0.0.1:7000,10.0.0.1:7001", ","} {
		bad := cl
		bad.Addr = addrs
		if _, err := parseChildSpec(bad.args()[1:]); err == nil {
			t.Errorf("parseChildSpec accepted cluster -addr %s", addrs)
		}
	}
}

// TestParseBenchmarkCSV reads redis-benchmark 7's --csv output.
func TestParseBenchmarkCSV(t *testing.T) {
	out := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","1111111.12","1.111","0.120","0.951","1.943","4.271","4.311"
"GET","2500000.00","0.447","0.224","0.431","0.695","0.863","0.943"
`
	get, set, err := parseBenchmarkCSV(out)
	if err != nil || get != 2500000 || set != 1111111.12 {
		t.Errorf("parseBenchmarkCSV = %v, %v, %v", get, set, err)
	}
	if _, _, err := parseBenchmarkCSV(`"test","rps"` + "\n"); err == nil {
		t.Error("output without rates was accepted")
	}
}

// TestSettings checks the defaults, -quick and list validation.
func TestSettings(t *testing.T) {
	s, _, err := parseSettings(nil)
	if err != nil || s.total() != 2*3*2*4*4+3*1*2*3 || s.Out != "results" {
		t.Errorf("defaults: %+v, %v; want 192 single-server and 18 cluster measurements into results", s, err)
	}
	if !s.Single || !s.Cluster || s.ClusterMasters != 3 || !slices.Equal(s.ClusterSizes, []int{64}) ||
		!slices.Equal(s.ClusterConcurrency, []int{64, 512}) || !slices.Equal(s.ClusterClients, []string{nameRedmux, nameGoRedis, nameRueidis}) {
		t.Errorf("cluster defaults: %+v; want the cluster row on: 3 masters, 64 B, 64 and 512 goroutines, every client but redigo", s)
	}
	q, _, err := parseSettings([]string{"-quick", "-rounds", "2"})
	if err != nil || q.Rounds != 2 || q.Duration != 500*time.Millisecond || !slices.Equal(q.Sizes, []int{64}) || q.Out != "results-quick" {
		t.Errorf("-quick -rounds 2: %+v, %v; want 2 rounds of 500ms, 64 B only, into results-quick", q, err)
	}
	if q.Cluster != true || !slices.Equal(q.ClusterConcurrency, []int{64}) || q.total() != 2*2*2*4+2*3 {
		t.Errorf("-quick -rounds 2: cluster %v at %v, %d measurements; want the cluster row at 64 goroutines, 38 measurements", q.Cluster, q.ClusterConcurrency, q.total())
	}
	only, _, err := parseSettings([]string{"-single=false", "-rounds", "3"})
	if err != nil || only.total() != 3*2*3 {
		t.Errorf("-single=false: %d measurements, %v; want only the cluster row's 18", only.total(), err)
	}
	noCluster, _, err := parseSettings([]string{"-cluster=false"})
	if err != nil || noCluster.total() != 192 {
		t.Errorf("-cluster=false: %d measurements, %v; want 192", noCluster.total(), err)
	}
	redigo, _, err := parseSettings([]string{"-clients", "redigo"})
	if err != nil || redigo.Cluster {
		t.Errorf("-clients redigo: cluster %v, %v; want the cluster row left out, no error", redigo.Cluster, err)
	}
	for _, args := range [][]string{{"-modes", "fast"}, {"-clients", "nope"}, {"-sizes", "0"}, {"-concurrency", "x"}, {"-sizes", "8"},
		{"-single=false", "-cluster=false"}, {"-cluster-masters", "2"}, {"-cluster-concurrency", "0"}, {"-clients", "redigo", "-cluster"},
		{"-clients", "redigo", "-single=false"}} {
		if _, _, err := parseSettings(args); err == nil {
			t.Errorf("parseSettings(%v) accepted it", args)
		}
	}
	env := withoutVar([]string{"A=1", "GOMAXPROCS=7", "GOMAXPROCSX=1"}, "GOMAXPROCS")
	if !slices.Equal(env, []string{"A=1", "GOMAXPROCSX=1"}) {
		t.Errorf("withoutVar = %v", env)
	}
}

// TestReportAndChart writes the report and chart of a small made-up run.
func TestReportAndChart(t *testing.T) {
	var ms []Measurement
	for _, mode := range []string{modePinned, modeUnpinned} {
		for _, conc := range []int{1, 64} {
			for i, client := range clientNames() {
				x := m(client, 0, float64(1000*conc*(i+1)), float64(10*(i+1)))
				x.Mode, x.Concurrency, x.Config = mode, conc, client+" config"
				ms = append(ms, x)
			}
		}
	}
	for _, conc := range []int{64, 512} {
		for i, client := range []string{nameRedmux, nameGoRedis, nameRueidis} {
			x := m(client, 0, float64(100*conc*(i+1)), float64(10*(i+1)))
			x.Mode, x.Concurrency, x.Config = modeCluster, conc, client+" cluster config"
			ms = append(ms, x)
		}
	}
	ms[0].WrongValues, ms[0].FirstError = 1, "GET k: wrong value"
	res := &Results{
		Settings:     Settings{Clients: clientNames(), Rounds: 1, Keys: 10000, ClusterMasters: 3},
		Ceilings:     []Ceiling{{Mode: modePinned, Size: 64, GetRPS: 2e6, SetRPS: 1e6, MixRPS: 1.6e6}},
		Measurements: ms,
	}
	dir := t.TempDir()
	var log bytes.Buffer
	if err := writeResults(dir, res, &log); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, resultsMD))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## pinned, 64 B values", "| goroutines | redmux | go-redis | rueidis | redigo |",
		"| 1 | 1.0k · 0.33× · 0µs / 10µs ⚠ |", "| 64 | 64.0k · 0.33× · 0µs / 10µs |", "1 wrong values", "redigo config", "1.60M",
		"on a Redis Cluster of 3 masters", "## Cluster, 3 masters, unpinned, 64 B values\n\n| goroutines | redmux | go-redis | rueidis |\n",
		"| 512 | 51.2k · 0.33× · 0µs / 10µs | 102.4k · 0.67× · 0µs / 20µs | 153.6k · 1.00× · 0µs / 30µs |", "rueidis cluster config",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	png, err := os.ReadFile(filepath.Join(dir, chartName(64)))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("chart: %v, %d bytes", err, len(png))
	}
	if err := rewriteReport(dir, &log); err != nil {
		t.Errorf("rewriteReport: %v", err)
	}
}

// TestOtherLoad checks the arithmetic of the interference measure: what
// the machine used beyond the server and the child, per second of wall
// time.
func TestOtherLoad(t *testing.T) {
	t0 := time.Now()
	before := cpuSample{at: t0, busy: 100, steal: 1, server: 10}
	after := cpuSample{at: t0.Add(2 * time.Second), busy: 104, steal: 1.2, server: 11.5}
	other, steal := otherLoad(before, after, 1500*time.Millisecond)
	if math.Abs(other-0.5) > 1e-9 || math.Abs(steal-0.1) > 1e-9 {
		t.Errorf("otherLoad = %v, %v; want 0.5 CPUs other, 0.1 stolen", other, steal)
	}
	if other, _ := otherLoad(before, cpuSample{at: t0.Add(time.Second), busy: 101, server: 10.5}, time.Second); other != 0 {
		t.Errorf("otherLoad with more accounted than used = %v, want 0", other)
	}
}
