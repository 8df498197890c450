package redmux_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeserver"
)

// benchClient connects to an allocation-free in-process server, so that
// b.ReportAllocs counts the client's allocations alone.
func benchClient(b *testing.B, value []byte) *redmux.Client {
	b.Helper()
	srv, err := fakeserver.Start(value)
	if err != nil {
		b.Fatal(err)
	}
	c, err := redmux.New(context.Background(), redmux.Config{Addr: srv.Addr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(); srv.Close() })
	return c
}

func benchmarkGet(b *testing.B, size, parallelism int) {
	value := bytes.Repeat([]byte("v"), size)
	c := benchClient(b, value)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v, ok, err := c.Get(ctx, "key:1234")
			if err != nil || !ok || len(v) != size {
				b.Errorf("GET: %d bytes, %v, %v", len(v), ok, err)
				return
			}
		}
	})
}

func benchmarkSet(b *testing.B, size, parallelism int) {
	value := bytes.Repeat([]byte("v"), size)
	c := benchClient(b, value)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Set(ctx, "key:1234", value); err != nil {
				b.Error(err)
				return
			}
		}
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
