package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
)

func bulk(s string) Value { return BulkString([]byte(s)) }

func pair(k, v Value) Pair { return Pair{Key: k, Value: v} }

// readCases are valid RESP2 and RESP3 values, including every example of
// the RESP3 specification.
var readCases = []struct {
	name string
	wire string
	want Value
}{
	// Simple strings and errors.
	{"simple string", "+OK\r\n", SimpleString("OK")},
	{"simple string with spaces", "+hello world\r\n", SimpleString("hello world")},
	{"empty simple string", "+\r\n", SimpleString("")},
	{"interned PONG", "+PONG\r\n", SimpleString("PONG")},
	{"simple error", "-ERR unknown command 'foo'\r\n", SimpleError("ERR unknown command 'foo'")},
	{"simple error WRONGTYPE", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
		SimpleError("WRONGTYPE Operation against a key holding the wrong kind of value")},

	// Integers.
	{"integer zero", ":0\r\n", Integer(0)},
	{"integer", ":1000\r\n", Integer(1000)},
	{"negative integer", ":-42\r\n", Integer(-42)},
	{"integer with plus sign", ":+7\r\n", Integer(7)},
	{"max int64", ":9223372036854775807\r\n", Integer(math.MaxInt64)},
	{"min int64", ":-9223372036854775808\r\n", Integer(math.MinInt64)},

	// Bulk strings.
	{"bulk string", "$5\r\nhello\r\n", bulk("hello")},
	{"empty bulk string", "$0\r\n\r\n", bulk("")},
	{"binary bulk string with CRLF inside", "$6\r\na\r\nb\x00\xff\r\n", bulk("a\r\nb\x00\xff")},
	{"null bulk string", "$-1\r\n", NullBulkString()},

	// Arrays.
	{"empty array", "*0\r\n", ArrayOf()},
	{"array of bulk strings", "*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n", ArrayOf(bulk("hello"), bulk("world"))},
	{"array of integers", "*3\r\n:1\r\n:2\r\n:3\r\n", ArrayOf(Integer(1), Integer(2), Integer(3))},
	{"mixed array", "*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n$5\r\nhello\r\n",
		ArrayOf(Integer(1), Integer(2), Integer(3), Integer(4), bulk("hello"))},
	{"nested arrays", "*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n",
		ArrayOf(ArrayOf(Integer(1), Integer(2), Integer(3)), ArrayOf(SimpleString("Hello"), SimpleError("World")))},
	{"null elements in arrays", "*3\r\n$5\r\nhello\r\n$-1\r\n$5\r\nworld\r\n",
		ArrayOf(bulk("hello"), NullBulkString(), bulk("world"))},
	{"null array", "*-1\r\n", NullArray()},

	// RESP3 scalars.
	{"null", "_\r\n", Null()},
	{"true", "#t\r\n", Boolean(true)},
	{"false", "#f\r\n", Boolean(false)},
	{"double", ",1.23\r\n", Double(1.23)},
	{"integral double", ",10\r\n", Double(10)},
	{"negative double", ",-3.5\r\n", Double(-3.5)},
	{"double with exponent", ",1.5e10\r\n", Double(1.5e10)},
	{"double with signed upper-case exponent", ",-2.5E-3\r\n", Double(-2.5e-3)},
	{"double with explicit plus exponent", ",1e+21\r\n", Double(1e21)},
	{"negative zero double", ",-0\r\n", Double(math.Copysign(0, -1))},
	{"smallest denormal double", ",5e-324\r\n", Double(math.SmallestNonzeroFloat64)},
	{"max double", ",1.7976931348623157e+308\r\n", Double(math.MaxFloat64)},
	{"inf", ",inf\r\n", Double(math.Inf(1))},
	{"+inf", ",+inf\r\n", Double(math.Inf(1))},
	{"-inf", ",-inf\r\n", Double(math.Inf(-1))},
	{"nan", ",nan\r\n", Double(math.NaN())},
	{"big number", "(3492890328409238509324850943850943825024385\r\n",
		BigNumber("3492890328409238509324850943850943825024385")},
	{"negative big number", "(-3492890328409238509324850943850943825024385\r\n",
		BigNumber("-3492890328409238509324850943850943825024385")},
	{"bulk error", "!21\r\nSYNTAX invalid syntax\r\n", BulkError("SYNTAX invalid syntax")},
	{"empty bulk error", "!0\r\n\r\n", BulkError("")},
	{"verbatim string", "=15\r\ntxt:Some string\r\n", Verbatim("txt", []byte("Some string"))},
	{"verbatim markdown", "=11\r\nmkd:# Title\r\n", Verbatim("mkd", []byte("# Title"))},
	{"empty verbatim string", "=4\r\ntxt:\r\n", Verbatim("txt", []byte{})},
	{"verbatim string with CRLF inside", "=10\r\ntxt:a\r\nb\r\n\r\n", Verbatim("txt", []byte("a\r\nb\r\n"))},

	// RESP3 aggregates.
	{"map", "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
		MapOf(pair(SimpleString("first"), Integer(1)), pair(SimpleString("second"), Integer(2)))},
	{"map keeps wire order", "%3\r\n$1\r\nz\r\n:1\r\n$1\r\na\r\n:2\r\n$1\r\nm\r\n:3\r\n",
		MapOf(pair(bulk("z"), Integer(1)), pair(bulk("a"), Integer(2)), pair(bulk("m"), Integer(3)))},
	{"map with aggregate keys and values", "%1\r\n*1\r\n:1\r\n~1\r\n#t\r\n",
		MapOf(pair(ArrayOf(Integer(1)), SetOf(Boolean(true))))},
	{"empty map", "%0\r\n", MapOf()},
	{"set", "~5\r\n+orange\r\n+apple\r\n#t\r\n:100\r\n:999\r\n",
		SetOf(SimpleString("orange"), SimpleString("apple"), Boolean(true), Integer(100), Integer(999))},
	{"empty set", "~0\r\n", SetOf()},
	{"push", ">4\r\n+pubsub\r\n+message\r\n+somechannel\r\n+this is the message\r\n",
		PushOf(SimpleString("pubsub"), SimpleString("message"), SimpleString("somechannel"), SimpleString("this is the message"))},

	// Attributes attach to the value that follows them.
	{"attribute from the specification",
		"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
		ArrayOf(Integer(2039123), Integer(9543892)).WithAttributes(
			pair(SimpleString("key-popularity"), MapOf(pair(bulk("a"), Double(0.1923)), pair(bulk("b"), Double(0.0012)))))},
	{"attribute inside an aggregate", "*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n",
		ArrayOf(Integer(1), Integer(2), Integer(3).WithAttributes(pair(SimpleString("ttl"), Integer(3600))))},
	{"attribute inside a map value", "%1\r\n+k\r\n|1\r\n+a\r\n+b\r\n$1\r\nv\r\n",
		MapOf(pair(SimpleString("k"), bulk("v").WithAttributes(pair(SimpleString("a"), SimpleString("b")))))},
	{"attribute on a null", "|1\r\n+a\r\n:1\r\n_\r\n", Null().WithAttributes(pair(SimpleString("a"), Integer(1)))},
	{"attribute on a RESP2 null", "|1\r\n+a\r\n:1\r\n$-1\r\n", NullBulkString().WithAttributes(pair(SimpleString("a"), Integer(1)))},
	{"empty attribute", "|0\r\n+OK\r\n", SimpleString("OK").WithAttributes()},
	{"consecutive attributes merge in wire order", "|1\r\n+a\r\n:1\r\n|0\r\n|1\r\n+b\r\n:2\r\n#t\r\n",
		Boolean(true).WithAttributes(pair(SimpleString("a"), Integer(1)), pair(SimpleString("b"), Integer(2)))},
	{"attribute whose value has an attribute", "|1\r\n+a\r\n|1\r\n+b\r\n:2\r\n:1\r\n_\r\n",
		Null().WithAttributes(pair(SimpleString("a"), Integer(1).WithAttributes(pair(SimpleString("b"), Integer(2)))))},
}

func TestReadValue(t *testing.T) {
	for _, tc := range readCases {
		t.Run(tc.name, func(t *testing.T) {
			got := readOne(t, tc.wire)
			if d := diffValues("value", tc.want, got); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestReadValueInSmallReads reads every case of TestReadValue, all in one
// stream, through readers that hand over one byte or half a buffer at a
// time.
func TestReadValueInSmallReads(t *testing.T) {
	var stream []byte
	for _, tc := range readCases {
		stream = append(stream, tc.wire...)
	}
	for _, w := range readerWraps {
		t.Run(w.name, func(t *testing.T) {
			r := NewReader(w.wrap(bytes.NewReader(stream)))
			for _, tc := range readCases {
				got, err := r.ReadValue()
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if d := diffValues(tc.name, tc.want, got); d != "" {
					t.Fatal(d)
				}
			}
			if _, err := r.ReadValue(); err != io.EOF {
				t.Fatalf("at the end: got %v, want io.EOF", err)
			}
			if r.Offset() != int64(len(stream)) {
				t.Fatalf("Offset() = %d, want %d", r.Offset(), len(stream))
			}
		})
	}
}

func TestReadVerbatimKeepsFormat(t *testing.T) {
	v := readOne(t, "=15\r\ntxt:Some string\r\n")
	if got := v.VerbatimFormat(); got != "txt" {
		t.Errorf("VerbatimFormat() = %q, want \"txt\"", got)
	}
	if s, err := v.Text(); err != nil || s != "Some string" {
		t.Errorf("String() = %q, %v; want \"Some string\" without the format", s, err)
	}
}

func TestReadMapPairsInWireOrder(t *testing.T) {
	v := readOne(t, "%3\r\n+z\r\n:1\r\n+a\r\n:2\r\n+m\r\n:3\r\n")
	ps, err := v.Map()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range ps {
		k, _ := p.Key.Text()
		keys = append(keys, k)
	}
	if got := strings.Join(keys, ","); got != "z,a,m" {
		t.Errorf("keys in order %s, want z,a,m", got)
	}
}

func TestReaderOffsetAndBuffered(t *testing.T) {
	r := NewReader(strings.NewReader("+OK\r\n:12\r\n"))
	if _, err := r.ReadValue(); err != nil {
		t.Fatal(err)
	}
	if r.Offset() != 5 || r.Buffered() != 5 {
		t.Errorf("after the first value: Offset() = %d, Buffered() = %d; want 5, 5", r.Offset(), r.Buffered())
	}
	if _, err := r.ReadValue(); err != nil {
		t.Fatal(err)
	}
	if r.Offset() != 10 || r.Buffered() != 0 {
		t.Errorf("after the second value: Offset() = %d, Buffered() = %d; want 10, 0", r.Offset(), r.Buffered())
	}
}

// TestReadValueOwnsItsMemory checks that values do not alias the read
// buffer: reading more must not change a value already returned.
func TestReadValueOwnsItsMemory(t *testing.T) {
	r := NewReader(iotest.HalfReader(strings.NewReader("+first\r\n(123\r\n$3\r\nabc\r\n+second\r\n(456\r\n$3\r\nxyz\r\n")))
	var got []Value
	for range 6 {
		v, err := r.ReadValue()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want := []Value{SimpleString("first"), BigNumber("123"), bulk("abc"), SimpleString("second"), BigNumber("456"), bulk("xyz")}
	if d := diffList("values", want, got); d != "" {
		t.Fatal(d)
	}
}

func TestReadInternedSimpleStringsAreShared(t *testing.T) {
	a := readOne(t, "+OK\r\n")
	b := readOne(t, "+OK\r\n")
	if &a.str[0] != &b.str[0] {
		t.Error("two +OK replies do not share their payload")
	}
	// The shared payload has no spare capacity: appending to it copies.
	grown := append(a.str, '!')
	if string(b.str) != "OK" || string(grown) != "OK!" {
		t.Errorf("appending to a shared +OK payload changed it: %q", b.str)
	}
}

func TestReadLongSimpleString(t *testing.T) {
	// Longer than the 32 KiB read buffer, read one byte at a time, and with
	// the CR as the last byte of a full buffer.
	for _, n := range []int{DefaultBufferSize - 2, DefaultBufferSize - 1, DefaultBufferSize, 40 << 10, 100 << 10} {
		text := strings.Repeat("y", n)
		wire := "+" + text + "\r\n:1\r\n"
		r := NewReader(iotest.OneByteReader(strings.NewReader(wire)))
		v, err := r.ReadValue()
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if s, _ := v.Text(); s != text {
			t.Fatalf("%d bytes: read %d bytes back", n, len(s))
		}
		if v, err := r.ReadValue(); err != nil || v.num != 1 {
			t.Fatalf("%d bytes: the value after it: %v, %v", n, v, err)
		}
	}
}

func TestReadLargeBulkInSmallReads(t *testing.T) {
	payload := make([]byte, 1<<20)
	for i := range payload {
		payload[i] = byte(i*7 + i>>8) // includes CR and LF bytes
	}
	wire := AppendValue(nil, ArrayOf(BulkString(payload), bulk("after")))
	for _, w := range readerWraps {
		t.Run(w.name, func(t *testing.T) {
			r := NewReader(w.wrap(bytes.NewReader(wire)))
			v, err := r.ReadValue()
			if err != nil {
				t.Fatal(err)
			}
			elems, _ := v.Array()
			if len(elems) != 2 || !bytes.Equal(elems[0].str, payload) || string(elems[1].str) != "after" {
				t.Fatal("the 1 MiB payload or the value after it did not read back")
			}
			if cap(elems[0].str) != len(payload) {
				t.Errorf("payload capacity %d: the slice exposes bytes beyond it", cap(elems[0].str))
			}
		})
	}
}

func TestReadBulkAroundAllocChunk(t *testing.T) {
	// Just below, at and above the size where the Reader switches from one
	// allocation to growing as bytes arrive.
	for _, n := range []int{allocChunk - 1, allocChunk, allocChunk + 1, 2*allocChunk + 3} {
		payload := bytes.Repeat([]byte{'\r', '\n', 'x'}, n/3+1)[:n]
		v := readOne(t, string(AppendValue(nil, BulkString(payload))))
		if !bytes.Equal(v.str, payload) {
			t.Fatalf("%d bytes did not read back", n)
		}
	}
}

func TestReadEndOfStream(t *testing.T) {
	r := NewReader(strings.NewReader(""))
	if _, err := r.ReadValue(); err != io.EOF {
		t.Fatalf("empty stream: got %v, want io.EOF", err)
	}
	r = NewReader(strings.NewReader("+OK\r\n"))
	if _, err := r.ReadValue(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := r.ReadValue(); err != io.EOF {
			t.Fatalf("after the last value: got %v, want io.EOF", err)
		}
	}
}

func TestReadEndOfStreamInsideValue(t *testing.T) {
	for _, wire := range []string{
		"+OK",
		"+OK\r",
		":12",
		"$5",
		"$5\r\n",
		"$5\r\nhel",
		"$5\r\nhello",
		"$5\r\nhello\r",
		"$70000\r\nab",
		"=15\r\ntxt:Some",
		"*2\r\n",
		"*2\r\n:1\r\n",
		"*2\r\n*1\r\n:1\r\n",
		"%1\r\n+a\r\n",
		"~3\r\n",
		">1\r\n",
		"|1\r\n+a\r\n",
		"|1\r\n+a\r\n+b\r\n",
		"|0\r\n",
	} {
		r := NewReader(strings.NewReader(wire))
		_, err := r.ReadValue()
		if err != io.ErrUnexpectedEOF {
			t.Errorf("%q: got %v, want io.ErrUnexpectedEOF", wire, err)
		}
	}
}

// TestEOFInsideAggregateIsUnexpected pins a bug: the end of the stream
// right after an aggregate header, a complete element or an attribute map
// was reported as io.EOF, the answer for a clean end between values.
func TestEOFInsideAggregateIsUnexpected(t *testing.T) {
	for _, wire := range []string{"*2\r\n:1\r\n", "*1\r\n", "%2\r\n+k\r\n:1\r\n", "|1\r\n+a\r\n+b\r\n"} {
		r := NewReader(strings.NewReader(wire))
		if _, err := r.ReadValue(); err != io.ErrUnexpectedEOF {
			t.Errorf("%q: got %v, want io.ErrUnexpectedEOF", wire, err)
		}
	}
}

func TestReadPassesReaderErrorsThrough(t *testing.T) {
	boom := errors.New("boom")
	for _, prefix := range []string{"", "+OK", "$5\r\nhe", "*2\r\n:1\r\n", "$70000\r\nab"} {
		r := NewReader(io.MultiReader(strings.NewReader(prefix), iotest.ErrReader(boom)))
		if _, err := r.ReadValue(); err != boom {
			t.Errorf("after %q: got %v, want the reader's own error", prefix, err)
		}
	}
}
