package latency

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestBucketsTileTheRange checks that buckets are contiguous, that every
// value maps to the bucket whose bounds contain it, and that no bucket is
// wider than 1/subBuckets of its lower bound.
func TestBucketsTileTheRange(t *testing.T) {
	if got := bucketIndex(maxTrackable); got != numBuckets-1 {
		t.Fatalf("bucketIndex(maxTrackable) = %d, want numBuckets-1 = %d", got, numBuckets-1)
	}
	var next uint64
	for i := range numBuckets {
		lo, hi := bucketBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		if bucketIndex(lo) != i || bucketIndex(hi) != i {
			t.Fatalf("bucket %d [%d, %d]: index(lo)=%d index(hi)=%d", i, lo, hi, bucketIndex(lo), bucketIndex(hi))
		}
		if width := hi - lo + 1; width > 1 && float64(width)/float64(lo) > 1.0/subBuckets {
			t.Fatalf("bucket %d [%d, %d] is %.3f%% wide", i, lo, hi, 100*float64(width)/float64(lo))
		}
		next = hi + 1
	}
	if next != maxTrackable+1 {
		t.Fatalf("buckets end at %d, want %d", next-1, uint64(maxTrackable))
	}
}

// TestQuantilesWithinOnePercent compares quantiles with the exact ones of
// a log-normal-ish sample.
func TestQuantilesWithinOnePercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	values := make([]time.Duration, 200_000)
	for i := range values {
		values[i] = time.Duration(20_000 * (1 + rng.ExpFloat64()*rng.ExpFloat64()))
		h.Record(values[i])
	}
	sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		exact := values[int(q*float64(len(values)-1))]
		got := h.Quantile(q)
		if rel := float64(got-exact) / float64(exact); rel < -0.01 || rel > 0.01 {
			t.Errorf("Quantile(%v) = %v, exact %v (%.2f%% off)", q, got, exact, 100*rel)
		}
	}
	if h.Max() != values[len(values)-1] {
		t.Errorf("Max() = %v, want %v", h.Max(), values[len(values)-1])
	}
}

// TestSmallValuesExact checks that values below 2*subBuckets are exact.
func TestSmallValuesExact(t *testing.T) {
	var h Histogram
	for v := range 100 {
		h.Record(time.Duration(v + 1))
	}
	if got := h.Quantile(0.5); got != 50 {
		t.Errorf("Quantile(0.5) = %v, want 50ns", got)
	}
	if got := h.Mean(); got != 50 {
		t.Errorf("Mean() = %v, want 50ns", got)
	}
}

// TestMergeEqualsOneHistogram checks that merging per-worker histograms
// gives what one Histogram of every value would.
func TestMergeEqualsOneHistogram(t *testing.T) {
	var a, b, all Histogram
	for i := range 10_000 {
		d := time.Duration(i*i + 7)
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&b)
	merged.Merge(&Histogram{})
	if merged != all {
		t.Fatalf("merged Histogram differs: n=%d min=%d max=%d, want n=%d min=%d max=%d",
			merged.n, merged.min, merged.max, all.n, all.min, all.max)
	}
}

// TestEmptyAndHugeValues checks the edges: an empty Histogram reports
// zeros, a value beyond maxTrackable is clamped into the top bucket while
// Max stays exact, and a negative duration counts as zero.
func TestEmptyAndHugeValues(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Mean() != 0 || h.Max() != 0 {
		t.Fatal("empty Histogram should report zeros")
	}
	huge := 10 * time.Minute
	h.Record(huge)
	h.Record(-time.Second)
	if h.Max() != huge {
		t.Errorf("Max() = %v, want %v", h.Max(), huge)
	}
	if got := h.Quantile(1); got > huge || got < maxTrackable {
		t.Errorf("Quantile(1) = %v, want between %v and %v", got, time.Duration(maxTrackable), huge)
	}
	if got := h.Quantile(0.5); got != 0 {
		t.Errorf("Quantile(0.5) = %v, want 0 (the negative duration)", got)
	}
}
