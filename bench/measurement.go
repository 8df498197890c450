package main

import "time"

// Measurement is one client at one setting in one round: what a child
// prints as its JSON line, completed by the orchestrator with the mode,
// round and position, and kept as it is in results.json.
type Measurement struct {
	Mode        string `json:"mode"`
	Size        int    `json:"size"`
	Concurrency int    `json:"concurrency"`
	Client      string `json:"client"`
	Round       int    `json:"round"`
	Position    int    `json:"position"` // 0: first client of its round
	Attempt     int    `json:"attempt"`  // 1, or more when noisy attempts were discarded

	Config     string `json:"config"`     // the client's configuration, defaults resolved
	GOMAXPROCS int    `json:"gomaxprocs"` // the child's
	CPUs       string `json:"cpus"`       // the CPUs the child may run on

	Ops         uint64  `json:"ops"` // successful operations in the window
	Gets        uint64  `json:"gets"`
	Sets        uint64  `json:"sets"`
	Errors      uint64  `json:"errors"`       // failed calls, warm-up included
	WrongValues uint64  `json:"wrong_values"` // GET values of another key or size
	Missing     uint64  `json:"missing"`      // GETs that found no value
	Seconds     float64 `json:"seconds"`      // measured window
	OpsPerSec   float64 `json:"ops_per_sec"`
	Capped      bool    `json:"capped,omitempty"` // stopped at -max-ops before the window ended

	MeanMicros float64 `json:"mean_us"`
	P50Micros  float64 `json:"p50_us"`
	P90Micros  float64 `json:"p90_us"`
	P99Micros  float64 `json:"p99_us"`
	P999Micros float64 `json:"p999_us"`
	MaxMicros  float64 `json:"max_us"`

	// OtherCPU is how many CPUs, on average over the child's life, were
	// busy with neither the child nor the server: other processes, and
	// kernel work for loopback traffic accounted to no process. StealCPU
	// is the hypervisor's steal time over the same span.
	OtherCPU float64 `json:"other_cpu"`
	StealCPU float64 `json:"steal_cpu"`

	FirstError string             `json:"first_error,omitempty"`
	Fatal      string             `json:"fatal,omitempty"` // no measurement: connect failure, crash, timeout
	Extra      map[string]float64 `json:"extra,omitempty"` // client-specific figures (redmux: avg_batch)
}

// fill sets the counts, throughput and latencies from a child's tally and
// histogram over elapsed.
func (m *Measurement) fill(t tally, h *histogram, elapsed time.Duration) {
	m.Ops, m.Gets, m.Sets = t.Ops, t.Gets, t.Sets
	m.Errors, m.WrongValues, m.Missing = t.Errors, t.WrongValues, t.Missing
	m.FirstError, m.Capped = t.FirstError, t.Capped
	m.Seconds = elapsed.Seconds()
	if m.Seconds > 0 {
		m.OpsPerSec = float64(t.Ops) / m.Seconds
	}
	m.MeanMicros = micros(h.Mean())
	m.P50Micros = micros(h.Quantile(0.50))
	m.P90Micros = micros(h.Quantile(0.90))
	m.P99Micros = micros(h.Quantile(0.99))
	m.P999Micros = micros(h.Quantile(0.999))
	m.MaxMicros = micros(h.Max())
}

// failures returns every kind of failure the measurement saw.
func (m Measurement) failures() uint64 { return m.Errors + m.WrongValues + m.Missing }

// micros returns d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
