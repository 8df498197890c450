package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The ceiling is what redis-benchmark, Redis's own load generator, gets
// out of the same server with deep pipelining: an upper bound no client
// can pass on this machine.
const (
	ceilingPipeline = 32
	ceilingClients  = 50
	calibrationOps  = 200_000
	minCeilingOps   = 100_000
	maxCeilingOps   = 50_000_000
)

// Ceiling is one redis-benchmark run: requests per second for GET and SET
// and their 80/20 mix.
type Ceiling struct {
	Mode    string  `json:"mode"`
	Size    int     `json:"size"`
	Command string  `json:"command"`
	GetRPS  float64 `json:"get_rps"`
	SetRPS  float64 `json:"set_rps"`
	// MixRPS is the rate of an 80% GET / 20% SET mix at those rates:
	// 1 / (0.8/GetRPS + 0.2/SetRPS).
	MixRPS float64 `json:"mix_rps"`
	Error  string  `json:"error,omitempty"`
}

// measureCeiling runs redis-benchmark against port with values of size
// bytes: a short calibration run, then one sized to take about target. In
// pinned mode it runs on the clients' CPU.
func measureCeiling(ctx context.Context, port, size int, pinned bool, target time.Duration) Ceiling {
	c := Ceiling{Size: size}
	get, set, err := runRedisBenchmark(ctx, port, size, calibrationOps, pinned, nil)
	if err == nil {
		n := ceilingOps(min(get, set), target)
		get, set, err = runRedisBenchmark(ctx, port, size, n, pinned, &c.Command)
	}
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.GetRPS, c.SetRPS = get, set
	c.MixRPS = 1 / (float64(getPercent)/100/get + float64(100-getPercent)/100/set)
	return c
}

// ceilingOps returns how many requests take about target at rps.
func ceilingOps(rps float64, target time.Duration) int {
	return min(max(int(rps*target.Seconds()), minCeilingOps), maxCeilingOps)
}

// runRedisBenchmark runs one redis-benchmark and returns the GET and SET
// rates. If command is not nil it is set to the command line.
func runRedisBenchmark(ctx context.Context, port, size, n int, pinned bool, command *string) (get, set float64, err error) {
	args := []string{
		"-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-t", "get,set", "-d", strconv.Itoa(size), "-n", strconv.Itoa(n),
		"-c", strconv.Itoa(ceilingClients), "-P", strconv.Itoa(ceilingPipeline),
		"-r", "10000", "--csv",
	}
	name := "redis-benchmark"
	if pinned {
		args = append([]string{"-c", clientCPU, name}, args...)
		name = "taskset"
	}
	if command != nil {
		*command = name + " " + strings.Join(args, " ")
	}
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, 0, fmt.Errorf("%s: %v: %s", name, err, ee.Stderr)
		}
		return 0, 0, fmt.Errorf("%s: %v (install Debian's redis-tools)", name, err)
	}
	return parseBenchmarkCSV(string(out))
}

// parseBenchmarkCSV reads the GET and SET rates from redis-benchmark
// --csv output: a header line, then "test","rps",... per test.
func parseBenchmarkCSV(out string) (get, set float64, err error) {
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return 0, 0, fmt.Errorf("redis-benchmark --csv output: %v", err)
	}
	for _, r := range records {
		if len(r) < 2 {
			continue
		}
		rps, perr := strconv.ParseFloat(r[1], 64)
		switch {
		case perr != nil:
			continue // the header
		case strings.HasPrefix(r[0], "GET"):
			get = rps
		case strings.HasPrefix(r[0], "SET"):
			set = rps
		}
	}
	if get <= 0 || set <= 0 {
		return 0, 0, fmt.Errorf("redis-benchmark --csv output has no GET and SET rates: %q", out)
	}
	return get, set, nil
}
