// Package latency is a small log-linear latency histogram (in the manner of
// HdrHistogram) shared by the demo and the side-by-side benchmark.
package latency

import (
	"math"
	"math/bits"
	"time"
)

// The Histogram is log-linear, like a small HdrHistogram: values below
// 2*subBuckets nanoseconds get a bucket each; above that, every power of two
// [2^k, 2^(k+1)) is split into subBuckets equal buckets. A bucket's width is
// therefore at most 1/subBuckets (0.78%) of the values in it, which bounds
// the relative error of every quantile.
const (
	subBucketBits = 7
	subBuckets    = 1 << subBucketBits
	// trackableBits bounds the values that get their own bucket: up to
	// 2^36 ns, about 68.7s. Larger values are counted in the top bucket;
	// the maximum is still tracked exactly.
	trackableBits = 36
	maxTrackable  = 1<<trackableBits - 1
	// numBuckets is bucketIndex(maxTrackable) + 1.
	numBuckets = (trackableBits - subBucketBits + 1) * subBuckets
)

// Histogram records durations with about 1% precision in fixed memory
// (30 KiB). It is not safe for concurrent use: each worker keeps its own
// and they are merged when the run ends.
type Histogram struct {
	counts   [numBuckets]uint64
	n        uint64
	sum      uint64 // nanoseconds
	min, max uint64 // nanoseconds, exact
}

// bucketIndex returns the bucket holding v nanoseconds (v <= maxTrackable).
func bucketIndex(v uint64) int {
	if v < 2*subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - subBucketBits
	return shift*subBuckets + int(v>>shift)
}

// bucketBounds returns the smallest and largest value in bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < 2*subBuckets {
		return uint64(i), uint64(i)
	}
	shift := i/subBuckets - 1
	lo = uint64(i-shift*subBuckets) << shift
	return lo, lo + 1<<shift - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.n++
	h.sum += v
	h.counts[bucketIndex(min(v, maxTrackable))]++
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the average of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / h.n)
}

// Quantile returns a value that at least a fraction q of the recorded
// values do not exceed: the upper bound of the bucket where that rank
// falls, kept within the exact minimum and maximum. It returns 0 when
// nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			_, hi := bucketBounds(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
