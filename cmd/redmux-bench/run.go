package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux"
)

// drainGrace is how long operations may outlive the end of the run before
// they are cancelled, so a stuck server cannot keep the run from ending.
const drainGrace = 5 * time.Second

// errorPause is how long a worker waits after a connection error.
const errorPause = 10 * time.Millisecond

// maxSamples is how many mismatch descriptions the summary shows.
const maxSamples = 5

// tally counts operations by outcome.
type tally struct {
	Gets, Sets                 uint64
	Errors                     [numErrKinds]uint64
	WrongKey, Corrupt, Missing uint64
}

// ops returns the number of operations, failed ones included.
func (t tally) ops() uint64 { return t.Gets + t.Sets }

// errors returns the number of failed operations.
func (t tally) errors() uint64 {
	var n uint64
	for _, e := range t.Errors {
		n += e
	}
	return n
}

// mismatches returns the number of GET replies that failed verification.
func (t tally) mismatches() uint64 { return t.WrongKey + t.Corrupt }

// add adds o to t.
func (t *tally) add(o tally) {
	t.Gets += o.Gets
	t.Sets += o.Sets
	for i := range t.Errors {
		t.Errors[i] += o.Errors[i]
	}
	t.WrongKey += o.WrongKey
	t.Corrupt += o.Corrupt
	t.Missing += o.Missing
}

// counters is a tally that its worker updates while the progress loop
// reads it.
type counters struct {
	gets, sets                 atomic.Uint64
	errors                     [numErrKinds]atomic.Uint64
	wrongKey, corrupt, missing atomic.Uint64
}

// snapshot reads c.
func (c *counters) snapshot() tally {
	t := tally{
		Gets:     c.gets.Load(),
		Sets:     c.sets.Load(),
		WrongKey: c.wrongKey.Load(),
		Corrupt:  c.corrupt.Load(),
		Missing:  c.missing.Load(),
	}
	for i := range c.errors {
		t.Errors[i] = c.errors[i].Load()
	}
	return t
}

// worker is one goroutine of the load: it issues one operation at a time
// on its own Clone of the client and keeps its own counters and latency
// histogram, merged when the run ends.
type worker struct {
	id       int
	client   client
	opts     *options
	filler   []byte // shared, read-only
	rng      *rand.Rand
	buf      []byte
	seq      uint64
	live     counters
	latency  histogram
	firstErr [numErrKinds]error
	samples  []string
}

// newWorker returns worker id (from 1) with a clone of c.
func newWorker(id int, c client, opts *options, filler []byte) *worker {
	return &worker{
		id:     id,
		client: cloneClient(c),
		opts:   opts,
		filler: filler,
		rng:    rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id))),
		buf:    make([]byte, 0, opts.valueSize),
	}
}

// loop runs operations until stop is done or the shared budget, if any,
// is spent. Operations run under opsCtx.
func (w *worker) loop(stop <-chan struct{}, opsCtx context.Context, budget *atomic.Int64) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if budget != nil && budget.Add(-1) < 0 {
			return
		}
		key := keyName(w.rng.IntN(w.opts.keys))
		if w.rng.Float64() < w.opts.getRatio {
			w.get(opsCtx, key)
		} else {
			w.set(opsCtx, key)
		}
	}
}

// get reads key and verifies that the value belongs to it.
func (w *worker) get(ctx context.Context, key string) {
	start := time.Now()
	v, found, err := w.client.Get(ctx, key)
	elapsed := time.Since(start)
	w.live.gets.Add(1)
	if err != nil {
		w.fail(err)
		return
	}
	w.latency.Record(elapsed)
	if !found {
		w.live.missing.Add(1)
		return
	}
	w.verify(key, v)
}

// verify counts a GET reply that is not an intact value of key.
func (w *worker) verify(key string, v []byte) {
	switch verdict, owner := checkValue(key, v, w.opts.valueSize); verdict {
	case valueWrongKey:
		w.live.wrongKey.Add(1)
		w.sample(fmt.Sprintf("GET %s returned the value of %s", key, owner))
	case valueCorrupt:
		w.live.corrupt.Add(1)
		w.sample(fmt.Sprintf("GET %s returned a corrupt value (%d bytes): %.60q", key, len(v), v))
	}
}

// set writes a fresh self-verifying value to key.
func (w *worker) set(ctx context.Context, key string) {
	w.seq++
	version := uint64(w.id)<<40 | w.seq
	offset := w.rng.IntN(w.opts.valueSize + 1)
	w.buf = encodeValue(w.buf, key, version, w.filler[offset:], w.opts.valueSize)
	start := time.Now()
	err := w.client.Set(ctx, key, w.buf)
	elapsed := time.Since(start)
	w.live.sets.Add(1)
	if err != nil {
		w.fail(err)
		return
	}
	w.latency.Record(elapsed)
}

// fail counts a failed operation and keeps the first error of its kind.
// After a connection error it pauses for errorPause: while the server is
// down the client fails calls at once, and without a pause the workers
// would spin, turning an outage into millions of errors a second.
func (w *worker) fail(err error) {
	kind := classify(err)
	w.live.errors[kind].Add(1)
	if w.firstErr[kind] == nil {
		w.firstErr[kind] = err
	}
	if kind == errConn || kind == errProtocol {
		time.Sleep(errorPause)
	}
}

// sample keeps the description of one of the first distinct mismatches.
func (w *worker) sample(s string) { w.samples = addSample(w.samples, s) }

// addSample appends s to samples unless it is there already or samples
// holds maxSamples.
func addSample(samples []string, s string) []string {
	if len(samples) >= maxSamples || slices.Contains(samples, s) {
		return samples
	}
	return append(samples, s)
}

// runResult is what a run measured.
type runResult struct {
	elapsed   time.Duration
	stoppedBy string // "duration", "ops" or "interrupt"
	tally     tally
	latency   *histogram
	firstErr  [numErrKinds]error
	samples   []string
	stats     redmux.Stats        // the client's, at the end
	before    redmux.ManagerStats // the client's totals at the start
}

// runBench runs opts.concurrency workers on clones of client until the run
// ends (duration, ops budget or interrupt), printing progress to out, and
// returns the merged results.
func runBench(ctl *control, client client, opts *options, out io.Writer) *runResult {
	filler := newFiller(rand.New(rand.NewPCG(1, 1)), 2*opts.valueSize)
	workers := make([]*worker, opts.concurrency)
	for i := range workers {
		workers[i] = newWorker(i+1, client, opts, filler)
	}
	runCtx, cancel := context.WithTimeout(ctl.stop, opts.duration)
	defer cancel()
	var budget *atomic.Int64
	if opts.ops > 0 {
		budget = new(atomic.Int64)
		budget.Store(opts.ops)
	}

	sample := func() progressSample { return sampleProgress(workers, client) }
	first := sample()
	finished := startWorkers(workers, runCtx.Done(), ctl.ops, budget)
	go abortStragglers(ctl, runCtx.Done(), finished, out)
	watchProgress(out, opts.progress, first, finished, sample)

	res := mergeWorkers(workers)
	res.elapsed = time.Since(first.at)
	res.stats = client.Stats()
	res.before = first.client
	switch {
	case ctl.interrupted.Load():
		res.stoppedBy = "interrupt"
	case budget != nil && budget.Load() <= 0:
		res.stoppedBy = "ops"
	default:
		res.stoppedBy = "duration"
	}
	return res
}

// startWorkers starts every worker and returns a channel closed once all
// of them have returned and closed their clones.
func startWorkers(workers []*worker, stop <-chan struct{}, opsCtx context.Context, budget *atomic.Int64) <-chan struct{} {
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.client.Close()
			w.loop(stop, opsCtx, budget)
		}()
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	return finished
}

// abortStragglers cancels operations still in flight drainGrace after the
// run ended, unless every worker finished first.
func abortStragglers(ctl *control, ended, finished <-chan struct{}, out io.Writer) {
	select {
	case <-ended:
	case <-finished:
		return
	}
	timer := time.NewTimer(drainGrace)
	defer timer.Stop()
	select {
	case <-timer.C:
		fmt.Fprintf(out, "operations still in flight %v after the end of the run: cancelling them\n", drainGrace)
		ctl.abort()
	case <-finished:
	}
}

// mergeWorkers adds up every worker's results. Call it only after the
// workers have finished.
func mergeWorkers(workers []*worker) *runResult {
	res := &runResult{latency: new(histogram)}
	for _, w := range workers {
		res.tally.add(w.live.snapshot())
		res.latency.Merge(&w.latency)
		for k, err := range w.firstErr {
			if res.firstErr[k] == nil {
				res.firstErr[k] = err
			}
		}
		for _, s := range w.samples {
			res.samples = addSample(res.samples, s)
		}
	}
	return res
}

// progressSample is the state of the run at one instant.
type progressSample struct {
	at     time.Time
	tally  tally
	client redmux.ManagerStats
}

// sampleProgress reads every worker's counters and the client's stats.
func sampleProgress(workers []*worker, client client) progressSample {
	s := progressSample{at: time.Now(), client: client.Stats().Total()}
	for _, w := range workers {
		s.tally.add(w.live.snapshot())
	}
	return s
}

// watchProgress prints a progress line every interval, comparing with the
// previous sample (the first is taken at the start), until finished is
// closed. An interval of 0 prints nothing.
func watchProgress(out io.Writer, interval time.Duration, first progressSample, finished <-chan struct{}, sample func() progressSample) {
	if interval <= 0 {
		<-finished
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	prev := first
	for {
		select {
		case <-finished:
			return
		case <-ticker.C:
			cur := sample()
			printProgress(out, first, prev, cur)
			prev = cur
		}
	}
}
