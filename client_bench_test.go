package redmux_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
)

// benchClient connects to an allocation-free in-process server, so that
// b.ReportAllocs counts the client's allocations alone.
func benchClient(b *testing.B, value []byte, hooks ...redmux.Hook) *redmux.Client {
	b.Helper()
	srv := fakeredis.GetSet(b, value) // closed after the client: cleanups run last first
	c, err := redmux.New(context.Background(), redmux.Config{Addr: srv.Addr(), Hooks: hooks})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// runClientBenchmark runs op from parallelism goroutines per P against a
// fake server whose GET replies carry a value of size bytes. op reports a
// failed or wrong reply as an error.
func runClientBenchmark(b *testing.B, size, parallelism int, op func(ctx context.Context, c *redmux.Client, value []byte) error, hooks ...redmux.Hook) {
	value := bytes.Repeat([]byte("v"), size)
	c := benchClient(b, value, hooks...)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(ctx, c, value); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchmarkGet(b *testing.B, size, parallelism int) {
	runClientBenchmark(b, size, parallelism, func(ctx context.Context, c *redmux.Client, _ []byte) error {
		v, ok, err := c.Get(ctx, "key:1234")
		if err != nil || !ok || len(v) != size {
			return fmt.Errorf("GET: %d bytes, %v, %v", len(v), ok, err)
		}
		return nil
	})
}

func benchmarkSet(b *testing.B, size, parallelism int) {
	runClientBenchmark(b, size, parallelism, func(ctx context.Context, c *redmux.Client, value []byte) error {
		return c.Set(ctx, "key:1234", value)
	})
}

// BenchmarkClientGet and BenchmarkClientSet run through the full client:
// handle, pool, manager, connection, fake server. Targets: at most one
// allocation per GET hit (the returned value) and none per SET.
func BenchmarkClientGet(b *testing.B) {
	for _, p := range []int{1, 8, 64} {
		b.Run("64B/goroutines-per-proc="+strconv.Itoa(p), func(b *testing.B) { benchmarkGet(b, 64, p) })
	}
	b.Run("4KiB/goroutines-per-proc=8", func(b *testing.B) { benchmarkGet(b, 4096, 8) })
}

func BenchmarkClientSet(b *testing.B) {
	for _, p := range []int{1, 8, 64} {
		b.Run("64B/goroutines-per-proc="+strconv.Itoa(p), func(b *testing.B) { benchmarkSet(b, 64, p) })
	}
	b.Run("4KiB/goroutines-per-proc=8", func(b *testing.B) { benchmarkSet(b, 4096, 8) })
}

// BenchmarkClientGetWithHook is BenchmarkClientGet with one Command hook
// that only passes the call on: the cost of the hook machinery itself
// (describing the command, the closure of the request). Without hooks a
// call pays a nil check only (TestAllocationBudget).
func BenchmarkClientGetWithHook(b *testing.B) {
	passThrough := redmux.Hook{Command: func(next redmux.CommandFunc) redmux.CommandFunc {
		return func(ctx context.Context, cmd *redmux.Command) (redmux.Value, error) { return next(ctx, cmd) }
	}}
	b.Run("64B/goroutines-per-proc=8", func(b *testing.B) {
		runClientBenchmark(b, 64, 8, func(ctx context.Context, c *redmux.Client, _ []byte) error {
			v, ok, err := c.Get(ctx, "key:1234")
			if err != nil || !ok || len(v) != 64 {
				return fmt.Errorf("GET: %d bytes, %v, %v", len(v), ok, err)
			}
			return nil
		}, passThrough)
	})
}
