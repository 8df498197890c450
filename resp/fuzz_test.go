package resp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// fuzzSeeds cover every type and the hostile cases. The checked-in corpus
// in testdata/fuzz/FuzzReader holds more, including multi-value streams.
var fuzzSeeds = []string{
	"+OK\r\n",
	"-ERR unknown command\r\n",
	":-42\r\n",
	"$5\r\nhello\r\n",
	"$-1\r\n",
	"*-1\r\n",
	"*2\r\n$3\r\nGET\r\n:1\r\n",
	"_\r\n",
	"#t\r\n",
	",-inf\r\n",
	",1.5e-3\r\n",
	"(3492890328409238509324850943850943825024385\r\n",
	"!21\r\nSYNTAX invalid syntax\r\n",
	"=15\r\ntxt:Some string\r\n",
	"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
	"~2\r\n+orange\r\n+apple\r\n",
	">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n",
	"|1\r\n+ttl\r\n:3600\r\n$1\r\nv\r\n",
	"*1\r\n|0\r\n|1\r\n+a\r\n+b\r\n_\r\n",
	"$2147483647\r\nab",
	"*2147483647\r\n",
	"$-5\r\n",
	"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
	":99999999999999999999\r\n",
	"$?\r\n;3\r\nabc\r\n;0\r\n",
	"+OK\n",
}

// fuzzLimits are small enough for the fuzzer to reach every limit.
var fuzzLimits = Limits{MaxBulkLen: 64, MaxAggregateLen: 8, MaxDepth: 4}

func FuzzReader(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStream(t, data, fuzzLimits)
		checkStream(t, data, Limits{})
	})
}

// checkStream reads every value in data and checks the Reader's contract:
// errors are *ProtocolError, io.EOF between values or io.ErrUnexpectedEOF;
// what it decodes is bounded by what it read; and each value survives
// AppendValue and a second read unchanged.
func checkStream(t *testing.T, data []byte, limits Limits) {
	t.Helper()
	r := NewReaderLimits(bytes.NewReader(data), limits)
	for {
		before := r.Offset()
		v, err := r.ReadValue()
		if r.Offset() < before || r.Offset() > int64(len(data)) {
			t.Fatalf("offset %d after %d, input is %d bytes", r.Offset(), before, len(data))
		}
		if err != nil {
			checkReadError(t, err, before, r.Offset(), len(data))
			return
		}
		if n := decodedSize(v); int64(n) > r.Offset()-before {
			t.Fatalf("decoded %d payload bytes and values from %d bytes", n, r.Offset()-before)
		}
		wire := AppendValue(nil, v)
		again := NewReader(bytes.NewReader(wire))
		v2, err := again.ReadValue()
		if err != nil {
			t.Fatalf("re-reading %q: %v", wire, err)
		}
		if again.Offset() != int64(len(wire)) {
			t.Fatalf("re-reading %q consumed %d bytes", wire, again.Offset())
		}
		if d := diffValues("value", v, v2); d != "" {
			t.Fatalf("re-reading %q: %s", wire, d)
		}
	}
}

func checkReadError(t *testing.T, err error, before, after int64, size int) {
	t.Helper()
	var pe *ProtocolError
	switch {
	case err == io.EOF:
		// Only between values, with the input used up.
		if after != before || after != int64(size) {
			t.Fatalf("io.EOF after consuming bytes %d..%d of %d", before, after, size)
		}
	case err == io.ErrUnexpectedEOF:
		if before == int64(size) {
			t.Fatalf("io.ErrUnexpectedEOF at a value boundary (offset %d)", before)
		}
	case errors.As(err, &pe):
		if pe.Offset < before || pe.Offset > int64(size) || pe.Reason == "" {
			t.Fatalf("%v: offset outside %d..%d or empty reason", err, before, size)
		}
	default:
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}
