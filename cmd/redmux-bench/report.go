package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redmux/redmux"
)

// printProgress prints one progress line: the time since the start, the
// rate over the last interval, the totals so far, and the client's batch
// size over the last interval and since the start.
func printProgress(out io.Writer, first, prev, cur progressSample) {
	interval := cur.at.Sub(prev.at).Seconds()
	rate := 0.0
	if interval > 0 {
		rate = float64(cur.tally.ops()-prev.tally.ops()) / interval
	}
	fmt.Fprintf(out, "%6.1fs  %9s ops/s  total %11s  errors %s  mismatches %s  missing %s  batch %.1f (avg %.1f)\n",
		cur.at.Sub(first.at).Seconds(),
		commas(uint64(rate)),
		commas(cur.tally.ops()),
		commas(cur.tally.errors()),
		commas(cur.tally.mismatches()),
		commas(cur.tally.Missing),
		sinceStats(cur.client, prev.client).AvgBatch(),
		sinceStats(cur.client, first.client).AvgBatch())
}

// sinceStats returns the counters of cur accumulated since before.
func sinceStats(cur, before redmux.ManagerStats) redmux.ManagerStats {
	return redmux.ManagerStats{
		Written:    cur.Written - before.Written,
		Batches:    cur.Batches - before.Batches,
		BytesOut:   cur.BytesOut - before.BytesOut,
		BytesIn:    cur.BytesIn - before.BytesIn,
		Completed:  cur.Completed - before.Completed,
		Failed:     cur.Failed - before.Failed,
		Dropped:    cur.Dropped - before.Dropped,
		Reconnects: cur.Reconnects - before.Reconnects,
	}
}

// summary is the final report, printed as text and, with -json, as JSON.
// Latencies are in microseconds; client counters cover the run only, not
// the preload.
type summary struct {
	Server          string            `json:"server"`
	StoppedBy       string            `json:"stopped_by"`
	Concurrency     int               `json:"concurrency"`
	Keys            int               `json:"keys"`
	ValueSize       int               `json:"value_size"`
	GetRatio        float64           `json:"get_ratio"`
	PreloadSeconds  float64           `json:"preload_seconds"`
	DurationSeconds float64           `json:"duration_seconds"`
	Ops             uint64            `json:"ops"`
	OpsPerSec       float64           `json:"ops_per_sec"`
	Gets            uint64            `json:"gets"`
	Sets            uint64            `json:"sets"`
	ErrorsTotal     uint64            `json:"errors_total"`
	Errors          map[string]uint64 `json:"errors"`
	FirstErrors     map[string]string `json:"first_errors,omitempty"`
	Mismatches      uint64            `json:"mismatches"`
	WrongKey        uint64            `json:"mismatches_wrong_key"`
	Corrupt         uint64            `json:"mismatches_corrupt"`
	MismatchSamples []string          `json:"mismatch_samples,omitempty"`
	Missing         uint64            `json:"missing"`
	Latency         latencySummary    `json:"latency_us"`
	Client          clientSummary     `json:"client"`
	OK              bool              `json:"ok"`
	Failures        []string          `json:"failures,omitempty"`
}

// latencySummary describes the latency of successful operations, in
// microseconds.
type latencySummary struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
}

// clientSummary is the client's own account of the run.
type clientSummary struct {
	Managers   int              `json:"managers"`
	Requests   uint64           `json:"requests_written"`
	Batches    uint64           `json:"batches"`
	AvgBatch   float64          `json:"avg_batch"`
	BytesOut   uint64           `json:"bytes_out"`
	BytesIn    uint64           `json:"bytes_in"`
	Failed     uint64           `json:"failed"`
	Dropped    uint64           `json:"dropped"`
	Reconnects uint64           `json:"reconnects"`
	PerManager []managerSummary `json:"per_manager"`
}

// managerSummary is one manager's share of the run.
type managerSummary struct {
	Requests uint64  `json:"requests_written"`
	AvgBatch float64 `json:"avg_batch"`
}

// summarize builds the summary of a run.
func summarize(opts *options, srv *server, preloadTook time.Duration, res *runResult) *summary {
	t := res.tally
	s := &summary{
		Server:          srv.label,
		StoppedBy:       res.stoppedBy,
		Concurrency:     opts.concurrency,
		Keys:            opts.keys,
		ValueSize:       opts.valueSize,
		GetRatio:        opts.getRatio,
		PreloadSeconds:  preloadTook.Seconds(),
		DurationSeconds: res.elapsed.Seconds(),
		Ops:             t.ops(),
		OpsPerSec:       float64(t.ops()) / res.elapsed.Seconds(),
		Gets:            t.Gets,
		Sets:            t.Sets,
		ErrorsTotal:     t.errors(),
		Errors:          map[string]uint64{},
		FirstErrors:     map[string]string{},
		Mismatches:      t.mismatches(),
		WrongKey:        t.WrongKey,
		Corrupt:         t.Corrupt,
		MismatchSamples: res.samples,
		Missing:         t.Missing,
		Latency:         summarizeLatency(res.latency),
		Client:          summarizeClient(res.stats, res.before),
	}
	for k := range numErrKinds {
		s.Errors[k.String()] = t.Errors[k]
		if err := res.firstErr[k]; err != nil {
			s.FirstErrors[k.String()] = err.Error()
		}
	}
	return s
}

// summarizeLatency reads the quantiles off h, in microseconds.
func summarizeLatency(h *histogram) latencySummary {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return latencySummary{
		Count: h.Count(),
		Mean:  us(h.Mean()),
		P50:   us(h.Quantile(0.50)),
		P99:   us(h.Quantile(0.99)),
		P999:  us(h.Quantile(0.999)),
		Max:   us(h.Max()),
	}
}

// summarizeClient returns the client's counters since before.
func summarizeClient(st redmux.Stats, before redmux.ManagerStats) clientSummary {
	run := sinceStats(st.Total(), before)
	c := clientSummary{
		Managers:   len(st.Managers),
		Requests:   run.Written,
		Batches:    run.Batches,
		AvgBatch:   run.AvgBatch(),
		BytesOut:   run.BytesOut,
		BytesIn:    run.BytesIn,
		Failed:     run.Failed,
		Dropped:    run.Dropped,
		Reconnects: run.Reconnects,
	}
	// Per-manager counters include the preload; the preload is small and
	// spread evenly, so they still show how the load was shared.
	for _, m := range st.Managers {
		c.PerManager = append(c.PerManager, managerSummary{Requests: m.Written, AvgBatch: m.AvgBatch()})
	}
	return c
}

// judge decides whether the run passed, recording why not in Failures:
// any mismatch or missing key fails it, and so do failed operations
// beyond maxErrorRate of all operations.
func (s *summary) judge(maxErrorRate float64) {
	if s.Mismatches > 0 {
		s.Failures = append(s.Failures, fmt.Sprintf(
			"%d GET replies failed verification (%d held another key's value, %d were corrupt): replies were mixed up or damaged",
			s.Mismatches, s.WrongKey, s.Corrupt))
	}
	if s.Missing > 0 {
		s.Failures = append(s.Failures, fmt.Sprintf(
			"%d GETs found no value although every key was preloaded (was the server flushed, restarted, or evicting keys?)",
			s.Missing))
	}
	switch {
	case s.Ops == 0:
		s.Failures = append(s.Failures, "no operation ran")
	case float64(s.ErrorsTotal) > maxErrorRate*float64(s.Ops):
		s.Failures = append(s.Failures, fmt.Sprintf(
			"%d of %d operations failed (%.3f%%), more than -max-error-rate allows (%.3f%%)",
			s.ErrorsTotal, s.Ops, 100*float64(s.ErrorsTotal)/float64(s.Ops), 100*maxErrorRate))
	}
	s.OK = len(s.Failures) == 0
}

// printSummary prints s as text.
func printSummary(out io.Writer, s *summary) {
	p := func(label, format string, args ...any) {
		fmt.Fprintf(out, "  %-12s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintln(out, "summary")
	p("server", "%s", s.Server)
	p("workload", "%d goroutines (one Clone each), %d keys, %d-byte values, %.0f%% GETs; preload took %s",
		s.Concurrency, s.Keys, s.ValueSize, 100*s.GetRatio, formatLatency(seconds(s.PreloadSeconds)))
	p("stopped by", "%s after %s", s.StoppedBy, seconds(s.DurationSeconds).Round(time.Millisecond))
	p("operations", "%s = %s ops/s (GET %s, SET %s; %s failed)",
		commas(s.Ops), commas(uint64(s.OpsPerSec)), commas(s.Gets), commas(s.Sets), commas(s.ErrorsTotal))
	l := s.Latency
	p("latency", "p50 %s  p99 %s  p99.9 %s  max %s  mean %s  (%s successful operations)",
		formatMicros(l.P50), formatMicros(l.P99), formatMicros(l.P999), formatMicros(l.Max), formatMicros(l.Mean), commas(l.Count))
	p("errors", "%s  (%s)", commas(s.ErrorsTotal), formatKinds(s.Errors))
	for k := range numErrKinds {
		if msg, ok := s.FirstErrors[k.String()]; ok {
			p("", "first %s error: %s", k, msg)
		}
	}
	p("mismatches", "%s  (wrong key %s, corrupt %s); missing keys %s",
		commas(s.Mismatches), commas(s.WrongKey), commas(s.Corrupt), commas(s.Missing))
	for _, m := range s.MismatchSamples {
		p("", "%s", m)
	}
	printClient(p, s.Client)
	if s.OK {
		p("result", "OK")
		return
	}
	for _, f := range s.Failures {
		p("result", "FAIL: %s", f)
	}
}

// printClient prints the client's part of the summary with p.
func printClient(p func(label, format string, args ...any), c clientSummary) {
	p("client", "%d managers, %s requests in %s writes, avg batch %.1f; %s out, %s in",
		c.Managers, commas(c.Requests), commas(c.Batches), c.AvgBatch, formatBytes(c.BytesOut), formatBytes(c.BytesIn))
	p("", "failed %s, dropped (caller gave up before the write) %s, reconnects %s",
		commas(c.Failed), commas(c.Dropped), commas(c.Reconnects))
	shares := make([]string, len(c.PerManager))
	for i, m := range c.PerManager {
		shares[i] = fmt.Sprintf("%s@%.1f", commas(m.Requests), m.AvgBatch)
	}
	p("per manager", "requests@avg batch, preload included: %s", strings.Join(shares, "  "))
}

// printJSON prints s as one line of JSON.
func printJSON(out io.Writer, s *summary) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// formatKinds lists error counts by kind, in the order of errKind.
func formatKinds(counts map[string]uint64) string {
	parts := make([]string, 0, numErrKinds)
	for k := range numErrKinds {
		parts = append(parts, fmt.Sprintf("%s %s", k, commas(counts[k.String()])))
	}
	return strings.Join(parts, ", ")
}

// seconds converts fractional seconds to a Duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// formatMicros formats a latency given in microseconds.
func formatMicros(us float64) string { return formatLatency(time.Duration(us * 1000)) }

// formatLatency formats d with about three significant digits.
func formatLatency(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	default:
		return d.Round(time.Millisecond).String()
	}
}

// formatBytes formats n bytes in binary units.
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// commas formats n with thousands separators.
func commas(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
