package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// preloadTimeout bounds each preload SET, so that a server that accepts
// connections but does not answer fails the preload instead of hanging it.
const preloadTimeout = 10 * time.Second

// errInterrupted reports a preload cut short by a signal.
var errInterrupted = errors.New("interrupted")

// preload SETs every key once, before the run, so that every GET of the
// run should find a value. It uses up to opts.concurrency goroutines on
// client and stops at the first error or when ctl.stop ends. Preload
// values have version numbers below 2^40, which workers never use.
func preload(ctl *control, client client, opts *options) (time.Duration, error) {
	start := time.Now()
	filler := newFiller(rand.New(rand.NewPCG(2, 2)), 2*opts.valueSize)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for g := range min(opts.concurrency, opts.keys) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(3, uint64(g)))
			buf := make([]byte, 0, opts.valueSize)
			for i := int(next.Add(1) - 1); i < opts.keys; i = int(next.Add(1) - 1) {
				if ctl.stop.Err() != nil {
					errOnce.Do(func() { firstErr = errInterrupted })
					return
				}
				key := keyName(i)
				buf = encodeValue(buf, key, uint64(i), filler[rng.IntN(opts.valueSize+1):], opts.valueSize)
				if err := setWithTimeout(ctl, client, key, buf); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("SET %s: %w", key, err) })
					next.Store(int64(opts.keys)) // stop the others
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// setWithTimeout runs one preload SET, bounded by preloadTimeout.
func setWithTimeout(ctl *control, client client, key string, value []byte) error {
	ctx, cancel := context.WithTimeout(ctl.ops, preloadTimeout)
	defer cancel()
	return client.Set(ctx, key, value)
}
