package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// The workload: keys preloaded with values of one size, each operation on a
// uniformly random key, getPercent of them GETs and the rest SETs.
const getPercent = 80

// A value is self-identifying: its key, a separator, then filler up to the
// value size. A GET checks the length and the key, so a reply that belongs
// to another request, or a truncated one, is caught.
const valueSeparator = '|'

// keyName returns the name of key i in the key space of values of size
// bytes. Each value size has its own key space, so both can be preloaded
// at once.
func keyName(size, i int) string { return fmt.Sprintf("redmux-peers:%d:%05d", size, i) }

// keyNames returns the names of keys keys for values of size bytes.
func keyNames(size, keys int) []string {
	names := make([]string, keys)
	for i := range names {
		names[i] = keyName(size, i)
	}
	return names
}

// checkSize reports whether values of size bytes can hold the keys.
func checkSize(size, keys int) error {
	if need := len(keyName(size, keys-1)) + 1; size < need {
		return fmt.Errorf("value size %d is too small: the key and separator take %d bytes", size, need)
	}
	return nil
}

// valueOf writes into dst[:0] the value of size bytes for key, its filler
// taken from filler at offset, and returns it. filler must hold at least
// offset+size bytes.
func valueOf(dst []byte, key string, size int, filler []byte, offset int) []byte {
	dst = append(dst[:0], key...)
	dst = append(dst, valueSeparator)
	return append(dst, filler[offset:offset+size-len(dst)]...)
}

// valueMatches reports whether v is a value of size bytes written for key.
func valueMatches(v []byte, key string, size int) bool {
	return len(v) == size && len(v) > len(key) &&
		string(v[:len(key)]) == key && v[len(key)] == valueSeparator
}

// newFiller returns n pseudo-random printable bytes from seed.
func newFiller(seed uint64, n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return b
}

// window is the timing of one measurement: operations completed in
// [start, end) are counted; none starts at or after end.
type window struct {
	start, end time.Time
}

// tally counts one worker's operations.
type tally struct {
	Ops, Gets, Sets uint64 // completed in the window, errors excluded
	Errors          uint64 // failed calls, warm-up included
	WrongValues     uint64 // GET values of the wrong key, size or layout
	Missing         uint64 // GETs that found no value for a preloaded key
	FirstError      string // the first failure, for the report
	Capped          bool   // the worker stopped at its operation bound
	LastDone        time.Time
}

// add adds o to t.
func (t *tally) add(o tally) {
	t.Ops += o.Ops
	t.Gets += o.Gets
	t.Sets += o.Sets
	t.Errors += o.Errors
	t.WrongValues += o.WrongValues
	t.Missing += o.Missing
	if t.FirstError == "" {
		t.FirstError = o.FirstError
	}
	t.Capped = t.Capped || o.Capped
	if o.LastDone.After(t.LastDone) {
		t.LastDone = o.LastDone
	}
}

// failures returns every kind of failure added up.
func (t tally) failures() uint64 { return t.Errors + t.WrongValues + t.Missing }

// worker is one goroutine of load: its own random source, value buffer,
// histogram and tally.
type worker struct {
	client Client
	keys   []string
	size   int
	filler []byte
	maxOps uint64
	rng    *rand.Rand
	buf    []byte
	hist   histogram
	tally  tally
}

// newWorker returns worker number id of a measurement.
func newWorker(id int, c Client, keys []string, size int, filler []byte, maxOps uint64) *worker {
	return &worker{
		client: c, keys: keys, size: size, filler: filler, maxOps: maxOps,
		rng: rand.New(rand.NewPCG(uint64(id)+1, uint64(time.Now().UnixNano()))),
		buf: make([]byte, 0, size),
	}
}

// run issues operations until w's window ends or it has counted maxOps.
// ctx is passed to every call as it is.
func (w *worker) run(ctx context.Context, win window) {
	for w.tally.Ops < w.maxOps {
		begin := time.Now()
		if !begin.Before(win.end) {
			return
		}
		ok, isGet := w.op(ctx)
		done := time.Now()
		if !ok || done.Before(win.start) || !done.Before(win.end) {
			continue
		}
		w.count(isGet, done.Sub(begin), done)
	}
	w.tally.Capped = true
}

// count records one successful operation inside the window.
func (w *worker) count(isGet bool, latency time.Duration, done time.Time) {
	w.hist.Record(latency)
	w.tally.Ops++
	if isGet {
		w.tally.Gets++
	} else {
		w.tally.Sets++
	}
	w.tally.LastDone = done
}

// op runs one random operation and checks its result. ok is false when it
// failed in any way.
func (w *worker) op(ctx context.Context) (ok, isGet bool) {
	key := w.keys[w.rng.IntN(len(w.keys))]
	if w.rng.IntN(100) >= getPercent {
		w.buf = valueOf(w.buf, key, w.size, w.filler, w.rng.IntN(len(w.filler)-w.size+1))
		return w.fail(w.client.Set(ctx, key, w.buf)), false
	}
	v, found, err := w.client.Get(ctx, key)
	switch {
	case err != nil:
		return w.fail(err), true
	case !found:
		w.tally.Missing++
		w.note(fmt.Errorf("GET %s: not found, but every key was preloaded", key))
		return false, true
	case !valueMatches(v, key, w.size):
		w.tally.WrongValues++
		w.note(fmt.Errorf("GET %s: wrong value (%d bytes, starts %q)", key, len(v), clip(v, 40)))
		return false, true
	}
	return true, true
}

// fail counts err if it is not nil, and reports whether it was nil.
func (w *worker) fail(err error) bool {
	if err == nil {
		return true
	}
	w.tally.Errors++
	w.note(err)
	return false
}

// note keeps the first failure.
func (w *worker) note(err error) {
	if w.tally.FirstError == "" {
		w.tally.FirstError = err.Error()
	}
}

// clip returns at most n bytes of b.
func clip(b []byte, n int) []byte { return b[:min(len(b), n)] }
