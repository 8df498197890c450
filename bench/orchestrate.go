package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Machine modes.
const (
	modePinned   = "pinned"   // server on CPU 1; each child on CPU 0 with GOMAXPROCS=1
	modeUnpinned = "unpinned" // no affinity, default GOMAXPROCS
)

// quietLimit bounds each wait for the machine to become quiet.
const quietLimit = 2 * time.Minute

// childGrace is how long a child may run past its warm-up and window
// before it is killed and counted as hung.
const childGrace = 30 * time.Second

// Results is everything one run produced, written as results.json.
type Results struct {
	Machine      Machine       `json:"machine"`
	Settings     Settings      `json:"settings"`
	Ceilings     []Ceiling     `json:"ceilings"`
	Measurements []Measurement `json:"measurements"`
	// Discarded are attempts during which other processes were busy,
	// measured again (Measurement.Attempt counts the tries).
	Discarded []Measurement `json:"discarded,omitempty"`
}

// orchestrate runs every measurement of s, one child process each, then
// writes the results into s.Out. Progress goes to log.
func orchestrate(ctx context.Context, s Settings, log io.Writer) error {
	res := &Results{Machine: describeMachine(), Settings: s}
	fmt.Fprintf(log, "machine: %s; load average %s\n", res.Machine.Summary(), res.Machine.LoadStart)
	fmt.Fprintf(log, "%d measurements of %v + %v warm-up each: about %v\n",
		s.total(), s.Duration, s.Warmup, s.estimate().Round(time.Second))
	p := &progress{total: s.total(), log: log}
	if s.Single {
		for _, mode := range s.Modes {
			if err := runMode(ctx, s, mode, res, p); err != nil {
				return err
			}
		}
	}
	if s.Cluster {
		if err := runCluster(ctx, s, res, p); err != nil {
			return err
		}
	}
	res.Machine.LoadEnd = loadAverage()
	res.Machine.Finished = time.Now().UTC()
	return writeResults(s.Out, res, log)
}

// runMode starts a server for mode, preloads it, runs the rounds and
// measures the ceiling, then stops the server.
func runMode(ctx context.Context, s Settings, mode string, res *Results, p *progress) error {
	srv, err := startServer(ctx, mode == modePinned)
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Fprintf(p.log, "%s: redis-server pid %d on %s, CPUs %s\n", mode, srv.Pid(), srv.Addr, processCPUs(srv.Pid()))
	if err := preload(ctx, srv.Addr, s.Sizes, s.Keys); err != nil {
		return err
	}
	t := target{mode: mode, addr: srv.Addr, pids: []int{srv.Pid()}}
	if err := runRounds(ctx, s, t, s.Sizes, s.Concurrency, s.Clients, res, p); err != nil {
		return err
	}
	return measureCeilings(ctx, s, mode, srv.Port, res, p.log)
}

// target is what the children of a mode load: the address they are
// given (one server, or the cluster's seed nodes, comma-separated), and
// the server processes whose CPU time is not counted as other load.
type target struct {
	mode    string
	addr    string
	cluster bool
	pids    []int
}

// runRounds waits for the machine to be quiet, then runs s.Rounds rounds
// of every size, goroutine count and client against t: rounds outermost,
// the clients rotated each round.
func runRounds(ctx context.Context, s Settings, t target, sizes, concs []int, clients []string, res *Results, p *progress) error {
	other, quiet := waitQuiet(ctx, t.pids, s.MaxOtherCPU, quietLimit)
	fmt.Fprintf(p.log, "%s: other processes use %.2f CPUs (quiet: %v)\n", t.mode, other, quiet)
	for round := range s.Rounds {
		for _, size := range sizes {
			for _, conc := range concs {
				for pos, client := range rotate(clients, round) {
					spec := childSpec{
						Client: client, Addr: t.addr, Cluster: t.cluster, Size: size, Concurrency: conc, Keys: s.Keys,
						Warmup: s.Warmup, Duration: s.Duration, MaxOps: s.MaxOps,
					}
					m := measureQuietly(ctx, s, spec, slot{t.mode, round, pos}, t.pids, res, p)
					res.Measurements = append(res.Measurements, m)
					p.report(m)
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// slot is where a measurement stands in the run.
type slot struct {
	mode            string
	round, position int
}

// measureQuietly runs spec in a child. When other processes used more
// than s.MaxOtherCPU CPUs meanwhile, it keeps the attempt in
// res.Discarded, waits for the machine to be quiet and tries again, up to
// s.Retries times; the last attempt is kept whatever it saw.
func measureQuietly(ctx context.Context, s Settings, spec childSpec, at slot, serverPids []int, res *Results, p *progress) Measurement {
	for attempt := 1; ; attempt++ {
		m := runChild(ctx, spec, at.mode == modePinned, serverPids)
		m.Mode, m.Round, m.Position, m.Attempt = at.mode, at.round, at.position, attempt
		if m.Fatal != "" || m.OtherCPU <= s.MaxOtherCPU || attempt > s.Retries || ctx.Err() != nil {
			return m
		}
		res.Discarded = append(res.Discarded, m)
		fmt.Fprintf(p.log, "  discarded %s c=%d %s: other processes used %.2f CPUs meanwhile; waiting for quiet\n",
			sizeLabel(spec.Size), spec.Concurrency, spec.Client, m.OtherCPU)
		waitQuiet(ctx, serverPids, s.MaxOtherCPU, quietLimit)
	}
}

// measureCeilings runs redis-benchmark once per value size, unless
// disabled.
func measureCeilings(ctx context.Context, s Settings, mode string, port int, res *Results, log io.Writer) error {
	if !s.Ceiling {
		return nil
	}
	for _, size := range s.Sizes {
		c := measureCeiling(ctx, port, size, mode == modePinned, s.Duration)
		c.Mode = mode
		res.Ceilings = append(res.Ceilings, c)
		if c.Error != "" {
			fmt.Fprintf(log, "%s %s ceiling: %s\n", mode, sizeLabel(size), c.Error)
			continue
		}
		fmt.Fprintf(log, "%s %s ceiling (redis-benchmark -P %d): GET %s/s, SET %s/s, 80/20 mix %s/s\n",
			mode, sizeLabel(size), ceilingPipeline, humanOps(c.GetRPS), humanOps(c.SetRPS), humanOps(c.MixRPS))
	}
	return ctx.Err()
}

// rotate returns the clients in the order of round r: the list rotated
// left by r, so the first client changes every round.
func rotate(clients []string, r int) []string {
	if len(clients) == 0 {
		return nil
	}
	r %= len(clients)
	return append(slices.Clone(clients[r:]), clients[:r]...)
}

// runChild runs one measurement in a fresh process: this binary again,
// with childFlag. In pinned mode it runs under taskset on clientCPU with
// GOMAXPROCS=1. A child that fails, hangs or prints no result gives a
// Measurement with Fatal set. The CPU time used meanwhile by anything but
// the child and the server processes (serverPids) is recorded as OtherCPU.
func runChild(ctx context.Context, spec childSpec, pinned bool, serverPids []int) Measurement {
	limit := spec.Warmup + spec.Duration + connectTimeout + childGrace
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd, err := childCommand(ctx, spec, pinned)
	if err != nil {
		return failed(spec, err.Error())
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := sampleCPU(serverPids)
	err = cmd.Run()
	after := sampleCPU(serverPids)
	if ctx.Err() == context.DeadlineExceeded {
		return failed(spec, fmt.Sprintf("hung: killed after %v; stderr: %s", limit, tail(stderr.String())))
	}
	var m Measurement
	line := lastLine(stdout.String())
	if jerr := json.Unmarshal([]byte(line), &m); jerr != nil {
		return failed(spec, fmt.Sprintf("child failed (%v), no result line; stderr: %s", err, tail(stderr.String())))
	}
	if ps := cmd.ProcessState; ps != nil {
		m.OtherCPU, m.StealCPU = otherLoad(before, after, ps.UserTime()+ps.SystemTime())
	}
	return m
}

// childCommand returns the command that runs spec in a child.
func childCommand(ctx context.Context, spec childSpec, pinned bool) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	env := withoutVar(os.Environ(), "GOMAXPROCS")
	name, args := self, spec.args()
	if pinned {
		name, args = "taskset", append([]string{"-c", clientCPU, self}, args...)
		env = append(env, "GOMAXPROCS=1")
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the orchestrator
	return cmd, nil
}

// failed returns the Measurement of a child that gave no result.
func failed(spec childSpec, why string) Measurement {
	return Measurement{Client: spec.Client, Size: spec.Size, Concurrency: spec.Concurrency, Fatal: why}
}

// withoutVar returns env without the variable name.
func withoutVar(env []string, name string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// tail returns the end of a child's stderr, for an error message.
func tail(s string) string {
	const n = 2000
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// progress prints one line per measurement.
type progress struct {
	done, total int
	log         io.Writer
}

// report prints m.
func (p *progress) report(m Measurement) {
	p.done++
	head := fmt.Sprintf("[%d/%d] %s %s c=%d round %d %-8s", p.done, p.total, m.Mode, sizeLabel(m.Size), m.Concurrency, m.Round+1, m.Client)
	if m.Fatal != "" {
		fmt.Fprintf(p.log, "%s FAILED: %s\n", head, m.Fatal)
		return
	}
	fmt.Fprintf(p.log, "%s %9s ops/s  p50 %s  p99 %s  other CPU %.2f", head, humanOps(m.OpsPerSec),
		humanMicros(m.P50Micros), humanMicros(m.P99Micros), m.OtherCPU)
	if f := m.failures(); f > 0 {
		fmt.Fprintf(p.log, "  %d FAILURES (errors %d, wrong values %d, missing %d): %s", f, m.Errors, m.WrongValues, m.Missing, m.FirstError)
	}
	fmt.Fprintln(p.log)
}
