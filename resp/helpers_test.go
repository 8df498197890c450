package resp

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"runtime"
	"testing"
	"testing/iotest"
)

// diffValues describes the first difference between want and got, or
// returns "" when they are equal: same type, nullness, payload, verbatim
// format, number (doubles bitwise, except that any NaN equals any NaN),
// elements and attributes, recursively.
func diffValues(path string, want, got Value) string {
	switch {
	case want.typ != got.typ:
		return fmt.Sprintf("%s: type %s, got %s", path, want.typ, got.typ)
	case want.IsNull() != got.IsNull():
		return fmt.Sprintf("%s: null %v, got %v", path, want.IsNull(), got.IsNull())
	case want.format != got.format:
		return fmt.Sprintf("%s: format %q, got %q", path, want.format[:], got.format[:])
	case !bytes.Equal(want.str, got.str):
		return fmt.Sprintf("%s: payload %q, got %q", path, clipTest(want.str), clipTest(got.str))
	case want.typ == TypeDouble:
		w, g := want.float(), got.float()
		if !(math.IsNaN(w) && math.IsNaN(g)) && math.Float64bits(w) != math.Float64bits(g) {
			return fmt.Sprintf("%s: double %v (%#x), got %v (%#x)", path, w, math.Float64bits(w), g, math.Float64bits(g))
		}
	case want.num != got.num:
		return fmt.Sprintf("%s: number %d, got %d", path, want.num, got.num)
	}
	if d := diffList(path+".elems", want.elems, got.elems); d != "" {
		return d
	}
	if (want.attrs == nil) != (got.attrs == nil) {
		return fmt.Sprintf("%s: has attributes %v, got %v", path, want.attrs != nil, got.attrs != nil)
	}
	return diffList(path+".attrs", want.attrs, got.attrs)
}

func diffList(path string, want, got []Value) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%s: %d values, got %d", path, len(want), len(got))
	}
	for i := range want {
		if d := diffValues(fmt.Sprintf("%s[%d]", path, i), want[i], got[i]); d != "" {
			return d
		}
	}
	return ""
}

func clipTest(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// decodedSize is the number of payload bytes plus values (elements,
// attribute entries and v itself) held by v. Each value costs at least its
// type byte and a CRLF on the wire, beyond its payload, so decodedSize never
// exceeds the bytes the value was read from.
func decodedSize(v Value) int {
	n := 1 + len(v.str)
	for _, e := range v.elems {
		n += decodedSize(e)
	}
	for _, a := range v.attrs {
		n += decodedSize(a)
	}
	return n
}

// readOne reads exactly one value from wire and fails unless it is all
// of wire.
func readOne(t *testing.T, wire string) Value {
	t.Helper()
	r := NewReader(bytes.NewReader([]byte(wire)))
	v, err := r.ReadValue()
	if err != nil {
		t.Fatalf("ReadValue(%q): %v", clipTest([]byte(wire)), err)
	}
	if r.Offset() != int64(len(wire)) {
		t.Fatalf("ReadValue(%q) consumed %d of %d bytes", clipTest([]byte(wire)), r.Offset(), len(wire))
	}
	if _, err := r.ReadValue(); err != io.EOF {
		t.Fatalf("after the value of %q: got %v, want io.EOF", clipTest([]byte(wire)), err)
	}
	return v
}

// heapAllocated returns how many bytes f allocated on the heap in total
// (freed or not). Tests using it must not run in parallel with others.
func heapAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// cycleReader returns the bytes of buf over and over, forever, so that a
// benchmark's Reader is built once and never runs dry.
type cycleReader struct {
	buf []byte
	off int
}

func (c *cycleReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], c.buf[c.off:])
		n += k
		c.off = (c.off + k) % len(c.buf)
	}
	return n, nil
}

// readerWraps deliver a stream whole or in small pieces, in a fixed order.
var readerWraps = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"half", iotest.HalfReader},
	{"one byte", iotest.OneByteReader},
	{"data with EOF", iotest.DataErrReader},
}
