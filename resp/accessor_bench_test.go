package resp

import (
	"bytes"
	"testing"
)

// The accessor benchmarks call one accessor on a value read off the wire;
// Bytes on a bulk string must not allocate (it aliases the payload).

var (
	benchBytes []byte
	benchInt   int64
)

func BenchmarkValueBytesBulk64B(b *testing.B) {
	v := BulkString(bytes.Repeat([]byte{'v'}, 64))
	b.ReportAllocs()
	for b.Loop() {
		benchBytes, _ = v.Bytes()
	}
}

func BenchmarkValueInt64FromBulk(b *testing.B) {
	v := BulkString([]byte("1234567"))
	b.ReportAllocs()
	for b.Loop() {
		benchInt, _ = v.Int64()
	}
}
