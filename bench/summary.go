package main

import (
	"fmt"
	"slices"
	"sort"
)

// setting is one cell of the benchmark grid, measured for every client.
type setting struct {
	Mode        string
	Size        int
	Concurrency int
}

// summary is one client at one setting over its rounds.
type summary struct {
	Client string
	// Median is the median ops/s of the rounds that gave a result (for an
	// even count, the mean of the middle two).
	Median float64
	// MedianRound is the round whose latencies are reported: the middle
	// one by ops/s (the lower middle for an even count).
	MedianRound Measurement
	Min, Max    float64 // ops/s over the rounds
	Rounds      int     // rounds with a result
	Fatal       int     // rounds without one (connect failure, crash, hang)
	Failures    uint64  // errors, wrong values and misses over all rounds
	// Ratio is Median divided by the baseline client's Median at the
	// same setting, or 0 when that is unknown.
	Ratio float64
}

// Spread returns max/min - 1 of the rounds' ops/s.
func (s summary) Spread() float64 {
	if s.Min <= 0 {
		return 0
	}
	return s.Max/s.Min - 1
}

// grid holds the summaries of every setting, in the order of the run.
type grid struct {
	settings []setting
	clients  []string
	cells    map[setting]map[string]summary
	// clusterMasters is the size of the cluster of modeCluster, for
	// titles.
	clusterMasters int
}

// summarize groups ms by setting and client and summarizes each group.
func summarize(ms []Measurement, clients []string) grid {
	g := grid{clients: clients, cells: map[setting]map[string]summary{}}
	groups := map[setting]map[string][]Measurement{}
	for _, m := range ms {
		k := setting{m.Mode, m.Size, m.Concurrency}
		if groups[k] == nil {
			groups[k] = map[string][]Measurement{}
			g.settings = append(g.settings, k)
		}
		groups[k][m.Client] = append(groups[k][m.Client], m)
	}
	for _, k := range g.settings {
		g.cells[k] = summarizeSetting(groups[k])
	}
	return g
}

// summarizeSetting summarizes each client's rounds at one setting and
// sets the ratios to the baseline.
func summarizeSetting(byClient map[string][]Measurement) map[string]summary {
	out := map[string]summary{}
	for client, rounds := range byClient {
		out[client] = summarizeRounds(client, rounds)
	}
	base := out[baseline].Median
	for client, s := range out {
		if base > 0 {
			s.Ratio = s.Median / base
		}
		out[client] = s
	}
	return out
}

// summarizeRounds computes one client's median, spread and failures.
func summarizeRounds(client string, rounds []Measurement) summary {
	s := summary{Client: client}
	var ok []Measurement
	for _, m := range rounds {
		s.Failures += m.failures()
		if m.Fatal != "" {
			s.Fatal++
			continue
		}
		ok = append(ok, m)
	}
	s.Rounds = len(ok)
	if len(ok) == 0 {
		return s
	}
	s.Median, s.MedianRound = median(ok)
	s.Min, s.Max = ok[0].OpsPerSec, ok[len(ok)-1].OpsPerSec
	return s
}

// median sorts ms by ops/s and returns their median ops/s and the middle
// round (the lower middle one for an even count). ms must not be empty.
func median(ms []Measurement) (float64, Measurement) {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].OpsPerSec < ms[j].OpsPerSec })
	mid := (len(ms) - 1) / 2
	if len(ms)%2 == 1 {
		return ms[mid].OpsPerSec, ms[mid]
	}
	return (ms[mid].OpsPerSec + ms[mid+1].OpsPerSec) / 2, ms[mid]
}

// modes returns the modes of g, in order.
func (g grid) modes() []string {
	var out []string
	for _, k := range g.settings {
		if !slices.Contains(out, k.Mode) {
			out = append(out, k.Mode)
		}
	}
	return out
}

// modesAt returns the modes measured at size, in order.
func (g grid) modesAt(size int) []string {
	var out []string
	for _, k := range g.settings {
		if k.Size == size && !slices.Contains(out, k.Mode) {
			out = append(out, k.Mode)
		}
	}
	return out
}

// clientsIn returns the clients measured in mode, in the order of
// g.clients: the cluster row has no redigo column.
func (g grid) clientsIn(mode string) []string {
	var out []string
	for _, client := range g.clients {
		for _, k := range g.settings {
			if _, ok := g.cells[k][client]; ok && k.Mode == mode {
				out = append(out, client)
				break
			}
		}
	}
	return out
}

// modeLabel names mode for titles: "pinned", "unpinned", or
// "Cluster, 3 masters, unpinned".
func (g grid) modeLabel(mode string) string {
	if mode == modeCluster {
		return fmt.Sprintf("Cluster, %d masters, unpinned", g.clusterMasters)
	}
	return mode
}

// sizes returns the value sizes measured in mode, in order.
func (g grid) sizes(mode string) []int {
	var out []int
	for _, k := range g.settings {
		if k.Mode == mode && !slices.Contains(out, k.Size) {
			out = append(out, k.Size)
		}
	}
	return out
}

// concurrencies returns the goroutine counts measured in mode at size,
// ascending.
func (g grid) concurrencies(mode string, size int) []int {
	var out []int
	for _, k := range g.settings {
		if k.Mode == mode && k.Size == size && !slices.Contains(out, k.Concurrency) {
			out = append(out, k.Concurrency)
		}
	}
	slices.Sort(out)
	return out
}

// cell returns client's summary at k, and whether it was measured.
func (g grid) cell(k setting, client string) (summary, bool) {
	s, ok := g.cells[k][client]
	return s, ok
}
