package chaosproxy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Limits of the faults RandomFaults picks.
const (
	maxRandomDelay    = 5 * time.Millisecond
	maxRandomFragment = 16
	minFaultDuration  = 5 * time.Millisecond
	maxFaultDuration  = 200 * time.Millisecond
	// defaultInterval replaces a non-positive interval in RandomFaults.
	defaultInterval = 10 * time.Millisecond
)

// FaultKind names one kind of fault.
type FaultKind int

// The kinds of fault RandomFaults picks from, with equal probability.
const (
	FaultDrop      FaultKind = iota + 1 // DropAll, instantaneous
	FaultDelay                          // SetDelay(Fault.Delay) for Fault.For
	FaultFragment                       // SetFragment(Fault.Fragment) for Fault.For
	FaultBlackhole                      // SetBlackhole(true) for Fault.For
	FaultRefuse                         // SetRefuse(true) for Fault.For
)

func (k FaultKind) String() string {
	switch k {
	case FaultDrop:
		return "drop"
	case FaultDelay:
		return "delay"
	case FaultFragment:
		return "fragment"
	case FaultBlackhole:
		return "blackhole"
	case FaultRefuse:
		return "refuse"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is one fault applied by RandomFaults.
type Fault struct {
	Kind     FaultKind
	For      time.Duration // how long it stayed on; 0 for FaultDrop
	Delay    time.Duration // FaultDelay only: the latency added per chunk
	Fragment int           // FaultFragment only: the largest write
}

func (f Fault) String() string {
	switch f.Kind {
	case FaultDrop:
		return "drop"
	case FaultDelay:
		return fmt.Sprintf("delay %v for %v", f.Delay, f.For)
	case FaultFragment:
		return fmt.Sprintf("fragment %d for %v", f.Fragment, f.For)
	}
	return fmt.Sprintf("%v for %v", f.Kind, f.For)
}

// RandomFaults injects random faults until ctx is done: it waits interval
// (10ms if interval <= 0), picks a fault with rng — a drop, a delay of 1–5ms,
// fragments of 1–16 bytes, a blackhole, or refusal — keeps it on for 5–200ms
// (a drop is instantaneous), turns it off, and starts over. Faults never
// overlap. When ctx is done it turns every fault off (Reset) and returns the
// faults it applied, in order; the last one may have been cut short.
//
// The sequence of faults depends only on rng, so a seed reproduces it; only
// how many of them fit before ctx ends depends on timing. RandomFaults owns rng
// until it returns. Run at most one RandomFaults per proxy at a time; faults
// set by hand meanwhile may be overridden or cleared by it. It returns
// promptly once ctx is done (within one timer wake-up).
func (p *Proxy) RandomFaults(ctx context.Context, rng *rand.Rand, interval time.Duration) []Fault {
	defer p.Reset()
	if interval <= 0 {
		interval = defaultInterval
	}
	var applied []Fault
	for sleepCtx(ctx, interval) {
		f := randomFault(rng)
		applied = append(applied, f)
		p.apply(f)
		held := sleepCtx(ctx, f.For)
		p.clear(f)
		if !held {
			break
		}
	}
	return applied
}

// randomFault draws one fault from rng. The number of draws per fault is fixed
// per kind, so a seed always yields the same sequence.
func randomFault(rng *rand.Rand) Fault {
	kind := FaultKind(1 + rng.IntN(5))
	if kind == FaultDrop {
		return Fault{Kind: FaultDrop}
	}
	f := Fault{Kind: kind, For: randomDuration(rng, minFaultDuration, maxFaultDuration)}
	switch kind {
	case FaultDelay:
		f.Delay = randomDuration(rng, time.Millisecond, maxRandomDelay)
	case FaultFragment:
		f.Fragment = 1 + rng.IntN(maxRandomFragment)
	}
	return f
}

// randomDuration is uniform over [lo, hi] in whole milliseconds.
func randomDuration(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	steps := int((hi - lo) / time.Millisecond)
	return lo + time.Duration(rng.IntN(steps+1))*time.Millisecond
}

// apply turns f on.
func (p *Proxy) apply(f Fault) {
	switch f.Kind {
	case FaultDrop:
		p.DropAll()
	case FaultDelay:
		p.SetDelay(f.Delay)
	case FaultFragment:
		p.SetFragment(f.Fragment)
	case FaultBlackhole:
		p.SetBlackhole(true)
	case FaultRefuse:
		p.SetRefuse(true)
	}
}

// clear turns f off again.
func (p *Proxy) clear(f Fault) {
	switch f.Kind {
	case FaultDelay:
		p.SetDelay(0)
	case FaultFragment:
		p.SetFragment(0)
	case FaultBlackhole:
		p.SetBlackhole(false)
	case FaultRefuse:
		p.SetRefuse(false)
	}
}
