package resp

import (
	"bytes"
	"fmt"
	"testing"
)

// The encode benchmarks reuse one buffer, as the manager's writer does; the
// decode benchmarks read from one Reader over a source that repeats a
// pre-encoded reply forever, so neither the bufio setup nor the source is
// measured per operation. Results are recorded in BENCHMARKS.md.

var benchSink Value

func benchmarkEncodeSet(b *testing.B, size int) {
	key, value := "key:000042", bytes.Repeat([]byte{'v'}, size)
	buf := make([]byte, 0, 2*size+64)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		buf = AppendArrayHeader(buf[:0], 3)
		buf = AppendBulkString(buf, "SET")
		buf = AppendBulkString(buf, key)
		buf = AppendBulk(buf, value)
	}
}

func BenchmarkEncodeGet(b *testing.B) {
	key := "key:000042"
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendArrayHeader(buf[:0], 2)
		buf = AppendBulkString(buf, "GET")
		buf = AppendBulkString(buf, key)
	}
}

func BenchmarkEncodeSet64B(b *testing.B)  { benchmarkEncodeSet(b, 64) }
func BenchmarkEncodeSet4KiB(b *testing.B) { benchmarkEncodeSet(b, 4<<10) }

// BenchmarkEncodeSet64BAny is BenchmarkEncodeSet64B through AppendCommand:
// the cost of boxing non-constant arguments into interfaces.
func BenchmarkEncodeSet64BAny(b *testing.B) {
	key, value := fmt.Sprintf("key:%06d", 42), bytes.Repeat([]byte{'v'}, 64)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(64)
	for b.Loop() {
		buf, _ = AppendCommand(buf[:0], "SET", key, value)
	}
}

func benchmarkDecode(b *testing.B, v Value) {
	wire := AppendValue(nil, v)
	r := NewReader(&cycleReader{buf: wire})
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		got, err := r.ReadValue()
		if err != nil {
			b.Fatal(err)
		}
		benchSink = got
	}
}

func BenchmarkDecodeOK(b *testing.B) { benchmarkDecode(b, SimpleString("OK")) }

func BenchmarkDecodeInteger(b *testing.B) { benchmarkDecode(b, Integer(1234567)) }

func BenchmarkDecodeBulk64B(b *testing.B) {
	benchmarkDecode(b, BulkString(bytes.Repeat([]byte{'v'}, 64)))
}

func BenchmarkDecodeArray100Bulks(b *testing.B) {
	elems := make([]Value, 100)
	for i := range elems {
		elems[i] = BulkString(fmt.Appendf(nil, "member:%08d", i))
	}
	benchmarkDecode(b, ArrayOf(elems...))
}

// BenchmarkDecodeMapRESP3 reads an HGETALL-style RESP3 map of 16 pairs of
// bulk strings.
func BenchmarkDecodeMapRESP3(b *testing.B) {
	pairs := make([]Pair, 16)
	for i := range pairs {
		pairs[i] = Pair{Key: BulkString(fmt.Appendf(nil, "field:%02d", i)), Value: BulkString(fmt.Appendf(nil, "value:%010d", i))}
	}
	benchmarkDecode(b, MapOf(pairs...))
}
