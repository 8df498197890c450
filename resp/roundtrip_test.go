package resp

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// valueGen builds random Values of every type, nested up to maxDepth, from
// a seeded generator so that failures reproduce.
type valueGen struct {
	rng      *rand.Rand
	maxDepth int
}

func newValueGen(seed uint64) *valueGen {
	return &valueGen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), maxDepth: 4}
}

func (g *valueGen) value(depth int) Value {
	var v Value
	kinds := 15
	if depth >= g.maxDepth {
		kinds = 11 // scalars only
	}
	switch g.rng.IntN(kinds) {
	case 0:
		v = SimpleString(g.line())
	case 1:
		v = SimpleError(g.line())
	case 2:
		v = Integer(g.integer())
	case 3:
		v = BulkString(g.blob())
	case 4:
		v = g.null()
	case 5:
		v = Boolean(g.rng.IntN(2) == 1)
	case 6:
		v = Double(g.double())
	case 7:
		v = BigNumber(g.digits())
	case 8:
		v = BulkError(string(g.blob()))
	case 9:
		v = Verbatim(g.format(), g.blob())
	case 10:
		v = BulkString(nil)
	case 11:
		v = ArrayOf(g.values(depth)...)
	case 12:
		v = SetOf(g.values(depth)...)
	case 13:
		v = PushOf(g.values(depth)...)
	case 14:
		v = MapOf(g.pairs(depth)...)
	}
	if depth < g.maxDepth && g.rng.IntN(8) == 0 {
		v = v.WithAttributes(g.pairs(depth)...)
	}
	return v
}

func (g *valueGen) values(depth int) []Value {
	out := make([]Value, g.rng.IntN(6))
	for i := range out {
		out[i] = g.value(depth + 1)
	}
	return out
}

func (g *valueGen) pairs(depth int) []Pair {
	out := make([]Pair, g.rng.IntN(4))
	for i := range out {
		out[i] = Pair{Key: g.value(depth + 1), Value: g.value(depth + 1)}
	}
	return out
}

// line is text for a simple string or error: any bytes but CR and LF.
func (g *valueGen) line() string {
	b := make([]byte, g.rng.IntN(40))
	for i := range b {
		for b[i] = byte(g.rng.IntN(256)); b[i] == '\r' || b[i] == '\n'; b[i] = byte(g.rng.IntN(256)) {
		}
	}
	return string(b)
}

// blob is a binary payload, rich in CR and LF, occasionally several KiB.
func (g *valueGen) blob() []byte {
	n := g.rng.IntN(64)
	if g.rng.IntN(50) == 0 {
		n = g.rng.IntN(100 << 10)
	}
	b := make([]byte, n)
	for i := range b {
		switch g.rng.IntN(4) {
		case 0:
			b[i] = '\r'
		case 1:
			b[i] = '\n'
		default:
			b[i] = byte(g.rng.IntN(256))
		}
	}
	return b
}

func (g *valueGen) integer() int64 {
	switch g.rng.IntN(5) {
	case 0:
		return math.MinInt64
	case 1:
		return math.MaxInt64
	case 2:
		return int64(g.rng.IntN(200)) - 100
	}
	return int64(g.rng.Uint64())
}

func (g *valueGen) double() float64 {
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1e21, 1e-7, 0.1}
	switch g.rng.IntN(3) {
	case 0:
		return special[g.rng.IntN(len(special))]
	case 1:
		return g.rng.NormFloat64() * math.Pow(10, float64(g.rng.IntN(40)-20))
	}
	return math.Float64frombits(g.rng.Uint64()) // any bit pattern, NaNs included
}

func (g *valueGen) digits() string {
	b := make([]byte, 0, 64)
	switch g.rng.IntN(3) {
	case 0:
		b = append(b, '-')
	case 1:
		b = append(b, '+')
	}
	for range 1 + g.rng.IntN(60) {
		b = append(b, byte('0'+g.rng.IntN(10)))
	}
	return string(b)
}

func (g *valueGen) format() string {
	formats := []string{"txt", "mkd", "x:y", "\r\n:"}
	return formats[g.rng.IntN(len(formats))]
}

func (g *valueGen) null() Value {
	switch g.rng.IntN(3) {
	case 0:
		return Null()
	case 1:
		return NullBulkString()
	}
	return NullArray()
}

// TestRoundTripRandomValues encodes random values with AppendValue into one
// stream and reads them back, whole and in small reads.
func TestRoundTripRandomValues(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 20240611} {
		g := newValueGen(seed)
		want := make([]Value, 500)
		var stream []byte
		for i := range want {
			want[i] = g.value(0)
			stream = AppendValue(stream, want[i])
		}
		for _, w := range readerWraps {
			name := w.name
			r := NewReader(w.wrap(bytes.NewReader(stream)))
			for i := range want {
				got, err := r.ReadValue()
				if err != nil {
					t.Fatalf("seed %d, %s, value %d: %v", seed, name, i, err)
				}
				if d := diffValues("value", want[i], got); d != "" {
					t.Fatalf("seed %d, %s, value %d: %s", seed, name, i, d)
				}
			}
			if _, err := r.ReadValue(); err != io.EOF {
				t.Fatalf("seed %d, %s: at the end got %v, want io.EOF", seed, name, err)
			}
		}
	}
}

// TestRoundTripRandomValuesTruncated cuts the stream of each random value
// short: every strict prefix must end in io.ErrUnexpectedEOF, and no
// prefix may be read as a complete value.
func TestRoundTripRandomValuesTruncated(t *testing.T) {
	g := newValueGen(7)
	for i := range 200 {
		wire := AppendValue(nil, g.value(0))
		if len(wire) > 4096 {
			continue // keep the quadratic loop below fast
		}
		for n := range len(wire) {
			_, err := NewReader(bytes.NewReader(wire[:n])).ReadValue()
			if n == 0 && err != io.EOF || n > 0 && err != io.ErrUnexpectedEOF {
				t.Fatalf("value %d cut to %d of %d bytes: got %v", i, n, len(wire), err)
			}
		}
	}
}

// TestRoundTripRandomCommands encodes random commands with AppendCommand
// and reads them back as arrays of bulk strings.
func TestRoundTripRandomCommands(t *testing.T) {
	g := newValueGen(11)
	var stream []byte
	var want [][][]byte
	for range 300 {
		args := make([][]byte, 1+g.rng.IntN(8))
		anyArgs := make([]any, len(args))
		for i := range args {
			args[i] = g.blob()
			if g.rng.IntN(2) == 0 {
				anyArgs[i] = string(args[i])
			} else {
				anyArgs[i] = args[i]
			}
		}
		var err error
		if stream, err = AppendCommand(stream, anyArgs...); err != nil {
			t.Fatal(err)
		}
		want = append(want, args)
	}
	r := NewReader(iotest.HalfReader(bytes.NewReader(stream)))
	for i, args := range want {
		v, err := r.ReadValue()
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		elems, err := v.Array()
		if err != nil || v.Type() != TypeArray || len(elems) != len(args) {
			t.Fatalf("command %d: %s of %d elements, %v; want an array of %d", i, v.Type(), len(elems), err, len(args))
		}
		for j := range args {
			if elems[j].Type() != TypeBulkString || !bytes.Equal(elems[j].str, args[j]) {
				t.Fatalf("command %d, argument %d: got %s %q", i, j, elems[j].Type(), clipTest(elems[j].str))
			}
		}
	}
}
