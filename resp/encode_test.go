package resp

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestAppendValue(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		wire string
	}{
		{SimpleString("OK"), "+OK\r\n"},
		{SimpleError("ERR unknown command"), "-ERR unknown command\r\n"},
		{Integer(-42), ":-42\r\n"},
		{Integer(math.MinInt64), ":-9223372036854775808\r\n"},
		{bulk("hello"), "$5\r\nhello\r\n"},
		{BulkString(nil), "$0\r\n\r\n"},
		{bulk("a\r\nb"), "$4\r\na\r\nb\r\n"},
		{NullBulkString(), "$-1\r\n"},
		{NullArray(), "*-1\r\n"},
		{Null(), "_\r\n"},
		{Boolean(true), "#t\r\n"},
		{Boolean(false), "#f\r\n"},
		{Double(1.23), ",1.23\r\n"},
		{Double(10), ",10\r\n"},
		{Double(1e21), ",1e+21\r\n"},
		{Double(math.Copysign(0, -1)), ",-0\r\n"},
		{Double(math.Inf(1)), ",inf\r\n"},
		{Double(math.Inf(-1)), ",-inf\r\n"},
		{Double(math.NaN()), ",nan\r\n"},
		{BigNumber("3492890328409238509324850943850943825024385"), "(3492890328409238509324850943850943825024385\r\n"},
		{BulkError("SYNTAX invalid syntax"), "!21\r\nSYNTAX invalid syntax\r\n"},
		{Verbatim("txt", []byte("Some string")), "=15\r\ntxt:Some string\r\n"},
		{ArrayOf(), "*0\r\n"},
		{ArrayOf(ArrayOf(Integer(1), Integer(2), Integer(3)), ArrayOf(SimpleString("Hello"), SimpleError("World"))),
			"*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n"},
		{MapOf(pair(SimpleString("first"), Integer(1)), pair(SimpleString("second"), Integer(2))),
			"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"},
		{SetOf(SimpleString("orange"), SimpleString("apple"), Boolean(true), Integer(100), Integer(999)),
			"~5\r\n+orange\r\n+apple\r\n#t\r\n:100\r\n:999\r\n"},
		{PushOf(SimpleString("pubsub"), SimpleString("message"), SimpleString("somechannel"), SimpleString("this is the message")),
			">4\r\n+pubsub\r\n+message\r\n+somechannel\r\n+this is the message\r\n"},
		{ArrayOf(Integer(2039123), Integer(9543892)).WithAttributes(
			pair(SimpleString("key-popularity"), MapOf(pair(bulk("a"), Double(0.1923)), pair(bulk("b"), Double(0.0012))))),
			"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n"},
		{ArrayOf(Integer(1), Integer(2), Integer(3).WithAttributes(pair(SimpleString("ttl"), Integer(3600)))),
			"*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n"},
		{SimpleString("OK").WithAttributes(), "|0\r\n+OK\r\n"},
	} {
		got := AppendValue([]byte("prefix"), tc.v)
		if string(got) != "prefix"+tc.wire {
			t.Errorf("AppendValue = %q, want %q", got[len("prefix"):], tc.wire)
		}
		if d := diffValues(strconv.Quote(tc.wire), tc.v, readOne(t, tc.wire)); d != "" {
			t.Error(d)
		}
	}
}

func TestAppendCommandBytes(t *testing.T) {
	got, err := AppendCommand([]byte("x"), "SET", "key", []byte("v\r\n"), 42)
	want := "x*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\nv\r\n\r\n$2\r\n42\r\n"
	if err != nil || string(got) != want {
		t.Errorf("AppendCommand = %q, %v; want %q", got, err, want)
	}
	if got := AppendCommandStrings(nil, "GET", "k"); string(got) != "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" {
		t.Errorf("AppendCommandStrings = %q", got)
	}
	if got, _ := AppendCommand(nil); string(got) != "*0\r\n" {
		t.Errorf("AppendCommand with no arguments = %q", got)
	}
}

// TestRoundTripCommandArgs encodes one argument of every accepted type,
// reads the command back as a server would, and checks each argument's
// text.
func TestRoundTripCommandArgs(t *testing.T) {
	args := []struct {
		arg  any
		text string
	}{
		{"SET", "SET"},
		{"", ""},
		{"a\r\nb\x00", "a\r\nb\x00"},
		{[]byte("bytes"), "bytes"},
		{[]byte(nil), ""},
		{int(-1), "-1"},
		{int8(math.MinInt8), "-128"},
		{int16(math.MaxInt16), "32767"},
		{int32(math.MinInt32), "-2147483648"},
		{int64(math.MinInt64), "-9223372036854775808"},
		{int64(math.MaxInt64), "9223372036854775807"},
		{uint(math.MaxUint), strconv.FormatUint(math.MaxUint, 10)},
		{uint8(255), "255"},
		{uint16(math.MaxUint16), "65535"},
		{uint32(math.MaxUint32), "4294967295"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{float64(0.1), "0.1"},
		{float64(-2.5), "-2.5"},
		{float64(3), "3"},
		{float64(1e21), "1e+21"},
		{float64(1.7976931348623157e308), "1.7976931348623157e+308"},
		{float64(5e-324), "5e-324"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		// A float32 is sent in its own shortest spelling.
		{float32(0.5), "0.5"},
		{float32(0.1), "0.1"},
		{float32(math.Inf(-1)), "-inf"},
		{true, "1"},
		{false, "0"},
	}
	cmd := make([]any, len(args))
	for i, a := range args {
		cmd[i] = a.arg
	}
	wire, err := AppendCommand(nil, cmd...)
	if err != nil {
		t.Fatal(err)
	}
	elems, err := readOne(t, string(wire)).Array()
	if err != nil || len(elems) != len(args) {
		t.Fatalf("read back %d elements, %v", len(elems), err)
	}
	for i, a := range args {
		if elems[i].Type() != TypeBulkString {
			t.Errorf("argument %d (%T) became a %s", i, a.arg, elems[i].Type())
		}
		text, _ := elems[i].Text()
		if text != a.text {
			t.Errorf("argument %d (%T %v) encoded as %q, want %q", i, a.arg, a.arg, text, a.text)
		}
		checkFloatText(t, a.arg, text)
	}
}

// checkFloatText checks that a float argument's text parses back to the
// same value, and is the shortest such text for a float64.
func checkFloatText(t *testing.T, arg any, text string) {
	t.Helper()
	var want float64
	switch f := arg.(type) {
	case float64:
		want = f
	case float32:
		if g, err := strconv.ParseFloat(text, 32); err != nil && !math.IsInf(g, 0) || float32(g) != f && !math.IsNaN(g) {
			t.Errorf("float32 %v: %q parses back as float32 %v, %v", f, text, g, err)
		}
		if shortest := strconv.FormatFloat(float64(f), 'g', -1, 32); !math.IsInf(float64(f), 0) && text != shortest {
			t.Errorf("float32 %v encoded as %q, the shortest form is %q", f, text, shortest)
		}
		return
	default:
		return
	}
	got, err := strconv.ParseFloat(text, 64)
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("NaN encoded as %q", text)
		}
		return
	}
	if err != nil || math.Float64bits(got) != math.Float64bits(want) {
		t.Errorf("%v encoded as %q, which parses back as %v, %v", want, text, got, err)
	}
	if !math.IsInf(want, 0) {
		if shortest := strconv.FormatFloat(want, 'g', -1, 64); text != shortest {
			t.Errorf("%v encoded as %q, the shortest form is %q", want, text, shortest)
		}
	}
}

func TestRoundTripIntegerArgs(t *testing.T) {
	for _, n := range []int64{0, 1, -1, 9, 10, -10, 99, 100, 1<<31 - 1, -1 << 31, 1<<53 + 1, math.MaxInt64, math.MinInt64} {
		wire := AppendBulkInt(nil, n)
		got, err := readOne(t, string(wire)).Int64()
		if err != nil || got != n {
			t.Errorf("AppendBulkInt(%d) read back as %d, %v", n, got, err)
		}
	}
	for _, n := range []uint64{0, 1, math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64} {
		text, _ := readOne(t, string(AppendBulkUint(nil, n))).Text()
		if got, err := strconv.ParseUint(text, 10, 64); err != nil || got != n {
			t.Errorf("AppendBulkUint(%d) read back as %q", n, text)
		}
	}
}

func TestAppendArgUnsupportedType(t *testing.T) {
	x := 1
	type point struct{ X, Y int }
	for _, tc := range []struct {
		arg  any
		name string
	}{
		{map[string]int{"a": 1}, "map[string]int"},
		{point{1, 2}, "resp.point"},
		{struct{}{}, "struct {}"},
		{nil, "nil"},
		{&x, "*int"},
		{[]string{"a"}, "[]string"},
		{complex(1, 2), "complex128"},
		{errors.New("x"), "*errors.errorString"},
	} {
		dst := []byte("keep")
		out, err := AppendCommand(dst, "SET", "k", tc.arg, "more")
		var ae *ArgTypeError
		if !errors.As(err, &ae) {
			t.Errorf("%T: got %v, want an *ArgTypeError", tc.arg, err)
			continue
		}
		if ae.Index != 2 || ae.Type != tc.name {
			t.Errorf("%T: Index %d, Type %q; want 2, %q", tc.arg, ae.Index, ae.Type, tc.name)
		}
		if !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), "argument 2") {
			t.Errorf("message %q does not name the argument and its type", err)
		}
		if string(out) != "keep" {
			t.Errorf("%T: dst became %q, want it unchanged", tc.arg, out)
		}
		out, err = AppendArg(dst, tc.arg)
		if !errors.As(err, &ae) || ae.Index != 0 || string(out) != "keep" {
			t.Errorf("AppendArg(%T) = %q, %v; want dst unchanged and an *ArgTypeError", tc.arg, out, err)
		}
	}
}

// TestAppendCommandLeavesRoomUntouched checks that a failed AppendCommand
// returns dst with its original length (the bytes it wrote past it in the
// spare capacity are not part of the result).
func TestAppendCommandLeavesRoomUntouched(t *testing.T) {
	dst := make([]byte, 3, 64)
	copy(dst, "abc")
	out, err := AppendCommand(dst, "GET", struct{}{})
	if err == nil || len(out) != 3 || !bytes.Equal(out, []byte("abc")) || &out[0] != &dst[0] {
		t.Errorf("got %q, %v; want the original dst", out, err)
	}
}

// TestEncodeAllocations pins the encoder's zero-allocation promise for a
// reused buffer.
func TestEncodeAllocations(t *testing.T) {
	key, value := "key:000042", bytes.Repeat([]byte{'v'}, 64)
	buf := make([]byte, 0, 1024)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"typed SET", func() {
			buf = AppendArrayHeader(buf[:0], 3)
			buf = AppendBulkString(buf, "SET")
			buf = AppendBulkString(buf, key)
			buf = AppendBulk(buf, value)
		}},
		{"AppendCommandStrings", func() { buf = AppendCommandStrings(buf[:0], "GET", key) }},
		{"numbers", func() {
			buf = AppendBulkInt(buf[:0], -1234567)
			buf = AppendBulkUint(buf, math.MaxUint64)
			buf = AppendBulkFloat(buf, 3.14159)
			buf = AppendBulkFloat(buf, math.Inf(1))
			buf = AppendBulkBool(buf, true)
		}},
		{"AppendCommand with constant arguments", func() {
			buf, _ = AppendCommand(buf[:0], "SET", "k", 1)
		}},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got != 0 {
			t.Errorf("%s: %v allocations, want 0", tc.name, got)
		}
	}
}

// TestAppendCommandAllocations: AppendCommand with variable string and
// []byte arguments does not allocate either. (It once did, one allocation
// per argument, because fmt's %T on the error path made every argument
// escape; reflect.TypeOf does not.)
func TestAppendCommandAllocations(t *testing.T) {
	// Built at run time: the compiler boxes a string it can prove constant
	// for free, which would hide the cost.
	key, value := strings.Repeat("k", 10), bytes.Repeat([]byte{'v'}, 64)
	buf := make([]byte, 0, 1024)
	got := testing.AllocsPerRun(100, func() {
		buf, _ = AppendCommand(buf[:0], "SET", key, value)
	})
	if got != 0 {
		t.Errorf("AppendCommand(SET key value): %v allocations, want 0", got)
	}
}
