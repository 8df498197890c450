package resp

import (
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// None of the tests in this file may run in parallel with another test:
// heapAllocated measures the whole process.

// allocBudget is what reading a hostile header may cost: the 32 KiB read
// buffer, one 64 KiB payload chunk and change.
const allocBudget = 256 << 10

// TestHostileInputIsBounded: a header claiming a huge length costs memory
// in proportion to the bytes actually received, not to the claim.
func TestHostileInputIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wire    string
		limits  Limits
		wantErr error // nil: want a *ProtocolError
	}{
		{"2 GiB bulk string with raised limit", "$2147483647\r\nab", Limits{MaxBulkLen: 1 << 31}, io.ErrUnexpectedEOF},
		{"2 GiB bulk string with default limit", "$2147483647\r\nab", Limits{}, nil},
		{"2 GiB bulk error with raised limit", "!2147483647\r\nab", Limits{MaxBulkLen: 1 << 31}, io.ErrUnexpectedEOF},
		{"bulk string just over the chunk size", "$65537\r\nab", Limits{}, io.ErrUnexpectedEOF},
		{"2^31 element array with raised limit", "*2147483647\r\n", Limits{MaxAggregateLen: 1 << 31}, io.ErrUnexpectedEOF},
		{"2^31 element array with some elements", "*2147483647\r\n" + strings.Repeat(":1\r\n", 1000),
			Limits{MaxAggregateLen: 1 << 31}, io.ErrUnexpectedEOF},
		{"2^30 pair map with raised limit", "%1073741824\r\n+k\r\n", Limits{MaxAggregateLen: 1 << 31}, io.ErrUnexpectedEOF},
		{"2^31 element array with default limit", "*2147483647\r\n", Limits{}, nil},
		{"2 GiB bulk string inside a large array", "*1000000\r\n$2147483647\r\nab",
			Limits{MaxBulkLen: 1 << 31}, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			allocated := heapAllocated(func() {
				_, err = NewReaderLimits(strings.NewReader(tc.wire), tc.limits).ReadValue()
			})
			var pe *ProtocolError
			switch {
			case tc.wantErr == nil && !errors.As(err, &pe):
				t.Errorf("got %v, want a *ProtocolError", err)
			case tc.wantErr != nil && err != tc.wantErr:
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			if allocated > allocBudget {
				t.Errorf("reading %d bytes allocated %d bytes, want at most %d", len(tc.wire), allocated, allocBudget)
			}
		})
	}
}

// TestNestedHeadersAllocateByBytesReceived pins a bug: each aggregate
// header preallocated up to 1024 elements (88 KiB) before any arrived, so
// 31 nested "*1024" headers (217 bytes) allocated 2.8 MB.
func TestNestedHeadersAllocateByBytesReceived(t *testing.T) {
	wire := strings.Repeat("*1024\r\n", 31)
	var err error
	allocated := heapAllocated(func() {
		_, err = NewReader(strings.NewReader(wire)).ReadValue()
	})
	if err != io.ErrUnexpectedEOF {
		t.Errorf("got %v, want io.ErrUnexpectedEOF", err)
	}
	if allocated > allocBudget {
		t.Errorf("%d bytes of nested headers allocated %d bytes, want at most %d", len(wire), allocated, allocBudget)
	}
}

// TestAttributeChainDoesNotGrowStack pins a bug: the Reader recursed once
// per attribute map, so a stream of "|0\r\n" grew the goroutine stack by
// about 1.3 KiB per 4 bytes received, until the runtime killed the
// process (a few megabytes of input reach the 1 GB stack limit).
func TestAttributeChainDoesNotGrowStack(t *testing.T) {
	const links = 1 << 20 // 4 MiB of "|0\r\n": a fatal stack overflow before the fix
	chain := io.LimitReader(&cycleReader{buf: []byte("|0\r\n")}, 4*links)
	r := NewReader(io.MultiReader(chain, strings.NewReader(":7\r\n")))
	v, err := r.ReadValue()
	if err != nil {
		t.Fatal(err)
	}
	if v.typ != TypeInteger || v.num != 7 || v.attrs == nil || len(v.attrs) != 0 {
		t.Fatalf("got %+v, want :7 with empty attributes", v)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if m.StackInuse > 64<<20 {
		t.Errorf("stacks use %d bytes after reading the chain", m.StackInuse)
	}
}

// TestHugeLimitsDoNotOverflow pins a bug: with limits near the int range,
// a length passing the limit overflowed when the Reader added the CRLF
// (index out of range) or doubled a map's pair count (makeslice: cap out
// of range), and the Reader panicked.
func TestHugeLimitsDoNotOverflow(t *testing.T) {
	huge := Limits{MaxBulkLen: math.MaxInt64, MaxAggregateLen: math.MaxInt64, MaxDepth: math.MaxInt}
	for _, tc := range []struct {
		wire    string
		wantErr error // nil: want a *ProtocolError
	}{
		{"$9223372036854775807\r\nab", nil},
		{"$9223372036854775805\r\nab", io.ErrUnexpectedEOF},
		{"%4611686018427387904\r\n", nil},
		{"%4611686018427387903\r\n", io.ErrUnexpectedEOF},
		{"|4611686018427387904\r\n", nil},
		{"*9223372036854775807\r\n", nil},
		{"*4611686018427387903\r\n", io.ErrUnexpectedEOF},
	} {
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("%q: panic: %v", tc.wire, p)
				}
			}()
			_, err = NewReaderLimits(strings.NewReader(tc.wire), huge).ReadValue()
		}()
		var pe *ProtocolError
		switch {
		case tc.wantErr == nil && !errors.As(err, &pe):
			t.Errorf("%q: got %v, want a *ProtocolError", tc.wire, err)
		case tc.wantErr != nil && err != tc.wantErr:
			t.Errorf("%q: got %v, want %v", tc.wire, err, tc.wantErr)
		}
	}
}

// TestReadAllocations pins the allocation counts the package's benchmarks
// rely on: one allocation for a bulk string, none for +OK, one for the
// elements of an array on top of its payloads.
func TestReadAllocations(t *testing.T) {
	for _, tc := range []struct {
		wire   string
		allocs float64
	}{
		{"$5\r\nhello\r\n", 1},
		{"+OK\r\n", 0},
		{":12345\r\n", 0},
		{"_\r\n", 0},
		{"*2\r\n:1\r\n:2\r\n", 1},
		{"*2\r\n$1\r\na\r\n$1\r\nb\r\n", 3},
	} {
		r := NewReader(&cycleReader{buf: []byte(tc.wire)})
		got := testing.AllocsPerRun(100, func() {
			if _, err := r.ReadValue(); err != nil {
				t.Fatal(err)
			}
		})
		if got != tc.allocs {
			t.Errorf("%q: %v allocations per value, want %v", tc.wire, got, tc.allocs)
		}
	}
}
