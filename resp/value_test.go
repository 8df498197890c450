package resp

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The accessor tests read their values off the wire, as callers get them.

// accessors calls each of Value's accessors through one signature.
var accessors = []struct {
	name, want string
	call       func(Value) (any, error)
}{
	{"Bytes", "[]byte", func(v Value) (any, error) { return v.Bytes() }},
	{"Text", "string", func(v Value) (any, error) { return v.Text() }},
	{"Int64", "int64", func(v Value) (any, error) { return v.Int64() }},
	{"Float64", "float64", func(v Value) (any, error) { return v.Float64() }},
	{"Bool", "bool", func(v Value) (any, error) { return v.Bool() }},
	{"Array", "[]resp.Value", func(v Value) (any, error) { return v.Array() }},
	{"Strings", "[]string", func(v Value) (any, error) { return v.Strings() }},
	{"Map", "[]resp.Pair", func(v Value) (any, error) { return v.Map() }},
	{"StringMap", "map[string]string", func(v Value) (any, error) { return v.StringMap() }},
}

// accepts lists, by accessor, the type bytes of the RESP types it converts.
var accepts = map[string]string{
	"Bytes":     "+$=(:,",
	"Text":      "+$=(:,",
	"Int64":     "+$(:#",
	"Float64":   "+$(:,",
	"Bool":      "#:",
	"Array":     "*~>%",
	"Strings":   "*~>",
	"Map":       "%*",
	"StringMap": "%*",
}

// oneOfEachType holds a value of every RESP type, with payloads that every
// accessor accepting the type can convert (numbers in strings, 1 for Bool,
// an even array), plus the nulls and error replies.
var oneOfEachType = []string{
	"+12\r\n",
	"$2\r\n12\r\n",
	"=6\r\ntxt:12\r\n",
	"(12\r\n",
	":1\r\n",
	",1.5\r\n",
	"#t\r\n",
	"*2\r\n$1\r\na\r\n:1\r\n",
	"~2\r\n+a\r\n+b\r\n",
	">2\r\n+message\r\n+x\r\n",
	"%1\r\n+k\r\n$1\r\nv\r\n",
	"_\r\n",
	"$-1\r\n",
	"*-1\r\n",
	"-ERR boom\r\n",
	"!8\r\nERR boom\r\n",
}

func TestEveryAccessorReturnsTypeErrorOnWrongType(t *testing.T) {
	for _, wire := range oneOfEachType {
		v := readOne(t, wire)
		for _, a := range accessors {
			got, err := a.call(v)
			accepted := strings.IndexByte(accepts[a.name], wire[0]) >= 0
			switch {
			case v.IsNull() || v.Err() != nil:
				continue // TestEveryAccessorReturnsErrNullOnNull, ...ServerErrorOnErrorReply
			case accepted:
				if err != nil {
					t.Errorf("%s on %q: %v", a.name, wire, err)
				}
				continue
			}
			var te *TypeError
			if !errors.As(err, &te) {
				t.Errorf("%s on %q: got %v (%T), want a *TypeError", a.name, wire, err, err)
				continue
			}
			want := TypeError{Accessor: a.name, Want: a.want, Got: Type(wire[0]), Index: -1}
			if *te != want {
				t.Errorf("%s on %q: got %+v, want %+v", a.name, wire, *te, want)
			}
			if !reflect.ValueOf(got).IsZero() {
				t.Errorf("%s on %q failed but returned %#v, want the zero value", a.name, wire, got)
			}
		}
	}
}

func TestEveryAccessorReturnsErrNullOnNull(t *testing.T) {
	for _, wire := range []string{"_\r\n", "$-1\r\n", "*-1\r\n"} {
		v := readOne(t, wire)
		for _, a := range accessors {
			got, err := a.call(v)
			if err != ErrNull {
				t.Errorf("%s on %q: got %v, want ErrNull itself", a.name, wire, err)
			}
			if !reflect.ValueOf(got).IsZero() {
				t.Errorf("%s on %q returned %#v with ErrNull, want the zero value", a.name, wire, got)
			}
		}
	}
}

func TestEveryAccessorReturnsServerErrorOnErrorReply(t *testing.T) {
	for _, wire := range []string{"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "!8\r\nERR boom\r\n"} {
		v := readOne(t, wire)
		for _, a := range accessors {
			_, err := a.call(v)
			var se *Error
			if !errors.As(err, &se) || se.Message != v.Err().Error() {
				t.Errorf("%s on %q: got %v (%T), want the reply as a *Error", a.name, wire, err, err)
			}
		}
	}
}

func TestZeroValueErrorMessage(t *testing.T) {
	var zero Value
	if zero.IsNull() || zero.Err() != nil || zero.Type() != 0 {
		t.Errorf("zero Value: IsNull %v, Err %v, Type %d", zero.IsNull(), zero.Err(), zero.Type())
	}
	for _, a := range accessors {
		_, err := a.call(zero)
		var te *TypeError
		if !errors.As(err, &te) || te.Got != 0 {
			t.Errorf("%s on the zero Value: got %v, want a *TypeError", a.name, err)
			continue
		}
		want := "resp: " + a.name + ": cannot convert empty (zero Value) to " + a.want
		if err.Error() != want {
			t.Errorf("%s on the zero Value: %q, want %q", a.name, err, want)
		}
	}
}

func TestTypeErrorMessages(t *testing.T) {
	long := strings.Repeat("9", 100)
	for _, tc := range []struct {
		err  func() error
		want string
	}{
		{func() error { _, err := ArrayOf().Int64(); return err },
			"resp: Int64: cannot convert array to int64"},
		{func() error { _, err := BulkString([]byte("abc")).Int64(); return err },
			`resp: Int64: cannot convert bulk string to int64: strconv.ParseInt: parsing "abc": invalid syntax`},
		{func() error { _, err := BigNumber(long).Int64(); return err },
			`resp: Int64: cannot convert big number to int64: strconv.ParseInt: parsing "` + long[:64] + `…": value out of range`},
		{func() error { _, err := SimpleString("x").Float64(); return err },
			`resp: Float64: cannot convert simple string to float64: strconv.ParseFloat: parsing "x": invalid syntax`},
		{func() error { _, err := Integer(5).Bool(); return err },
			"resp: Bool: cannot convert integer to bool: 5 is neither 0 nor 1"},
		{func() error { _, err := ArrayOf(bulk("a"), NullBulkString()).Strings(); return err },
			"resp: Strings: element 1: cannot convert null bulk string to string"},
		{func() error { _, err := SetOf(Null()).Strings(); return err },
			"resp: Strings: element 0: cannot convert null to string"},
		{func() error { _, err := ArrayOf(bulk("a"), ArrayOf()).Strings(); return err },
			"resp: Strings: element 1: cannot convert array to string"},
		{func() error { _, err := ArrayOf(bulk("k"), bulk("v"), bulk("k2")).StringMap(); return err },
			"resp: StringMap: cannot convert array to map[string]string: odd number of elements (3) for keys and values"},
		{func() error { _, err := MapOf(pair(bulk("k"), SimpleError("ERR x"))).StringMap(); return err },
			"resp: StringMap: element 1: cannot convert simple error to string"},
	} {
		if got := tc.err().Error(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
	if !strings.HasPrefix(ErrNull.Error(), "resp: ") {
		t.Errorf("ErrNull = %q", ErrNull)
	}
}

func TestParseFailuresWrapTheStrconvError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   func() error
		cause error
		num   string
	}{
		{"Int64 on letters", func() error { _, err := BulkString([]byte("12a")).Int64(); return err }, strconv.ErrSyntax, "12a"},
		{"Int64 on a float", func() error { _, err := BulkString([]byte("1.5")).Int64(); return err }, strconv.ErrSyntax, "1.5"},
		{"Int64 on empty", func() error { _, err := BulkString(nil).Int64(); return err }, strconv.ErrSyntax, ""},
		{"Int64 past int64", func() error { _, err := BigNumber("9223372036854775808").Int64(); return err }, strconv.ErrRange, "9223372036854775808"},
		{"Int64 on a long string", func() error { _, err := BulkString(bytes.Repeat([]byte("x"), 1<<20)).Int64(); return err }, strconv.ErrSyntax, strings.Repeat("x", 64) + "…"},
		{"Float64 on letters", func() error { _, err := BulkString([]byte("x")).Float64(); return err }, strconv.ErrSyntax, "x"},
		{"Float64 on Go-only Infinity", func() error { _, err := BulkString([]byte("Infinity")).Float64(); return err }, strconv.ErrSyntax, "Infinity"},
		{"Float64 on hexadecimal", func() error { _, err := SimpleString("0x1p3").Float64(); return err }, strconv.ErrSyntax, "0x1p3"},
		{"Float64 past float64", func() error { _, err := BulkString([]byte("1e400")).Float64(); return err }, strconv.ErrRange, "1e400"},
	} {
		err := tc.err()
		var te *TypeError
		var ne *strconv.NumError
		switch {
		case !errors.As(err, &te) || te.Cause == nil:
			t.Errorf("%s: got %v, want a *TypeError with a Cause", tc.name, err)
		case !errors.As(err, &ne) || !errors.Is(err, tc.cause):
			t.Errorf("%s: got %v, want it to wrap a *strconv.NumError for %v", tc.name, err, tc.cause)
		case ne.Num != tc.num:
			t.Errorf("%s: NumError.Num = %q, want %q", tc.name, ne.Num, tc.num)
		}
	}
}

func TestBytesAndTextReturnTheTextOfStringsAndNumbers(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want string
	}{
		{"+OK\r\n", "OK"},
		{"$5\r\nhello\r\n", "hello"},
		{"$0\r\n\r\n", ""},
		{"=15\r\ntxt:Some string\r\n", "Some string"},
		{"(-3492890328409238509324850943850943825024385\r\n", "-3492890328409238509324850943850943825024385"},
		{":-42\r\n", "-42"},
		{",1.5\r\n", "1.5"},
		{",1e+21\r\n", "1e+21"},
		{",-inf\r\n", "-inf"},
		{",nan\r\n", "nan"},
	} {
		v := readOne(t, tc.wire)
		b, err := v.Bytes()
		if err != nil || string(b) != tc.want {
			t.Errorf("Bytes on %q = %q, %v; want %q", tc.wire, b, err, tc.want)
		}
		s, err := v.Text()
		if err != nil || s != tc.want {
			t.Errorf("Text on %q = %q, %v; want %q", tc.wire, s, err, tc.want)
		}
	}
}

func TestBytesOfASharedReplyIsACopy(t *testing.T) {
	v := readOne(t, "+OK\r\n")
	b, _ := v.Bytes()
	b[0] = 'N'
	if s, _ := readOne(t, "+OK\r\n").Text(); s != "OK" {
		t.Errorf("writing to the Bytes of one OK changed another to %q", s)
	}
}

func TestInt64AcceptsIntegersBooleansAndIntegerStrings(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want int64
	}{
		{":1000\r\n", 1000},
		{":-9223372036854775808\r\n", math.MinInt64},
		{"#t\r\n", 1},
		{"#f\r\n", 0},
		{"$3\r\n123\r\n", 123},
		{"+-5\r\n", -5},
		{"(12345\r\n", 12345},
		{"$19\r\n9223372036854775807\r\n", math.MaxInt64},
	} {
		n, err := readOne(t, tc.wire).Int64()
		if err != nil || n != tc.want {
			t.Errorf("Int64 on %q = %d, %v; want %d", tc.wire, n, err, tc.want)
		}
	}
}

func TestFloat64AcceptsDoublesIntegersAndNumericStrings(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want float64
	}{
		{",1.23\r\n", 1.23},
		{",-inf\r\n", math.Inf(-1)},
		{",inf\r\n", math.Inf(1)},
		{":7\r\n", 7},
		{"$4\r\n3.25\r\n", 3.25},
		{"$3\r\ninf\r\n", math.Inf(1)},
		{"$4\r\n+inf\r\n", math.Inf(1)},
		{"$4\r\n-inf\r\n", math.Inf(-1)},
		{"+-inf\r\n", math.Inf(-1)},
		{"+1e3\r\n", 1000},
		{"(42\r\n", 42},
	} {
		f, err := readOne(t, tc.wire).Float64()
		if err != nil || f != tc.want {
			t.Errorf("Float64 on %q = %v, %v; want %v", tc.wire, f, err, tc.want)
		}
	}
	for _, wire := range []string{",nan\r\n", "$3\r\nnan\r\n", "+nan\r\n"} {
		f, err := readOne(t, wire).Float64()
		if err != nil || !math.IsNaN(f) {
			t.Errorf("Float64 on %q = %v, %v; want NaN", wire, f, err)
		}
	}
}

func TestBoolAcceptsBooleansAndZeroOrOneOnly(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want bool
		ok   bool
	}{
		{"#t\r\n", true, true},
		{"#f\r\n", false, true},
		{":1\r\n", true, true},
		{":0\r\n", false, true},
		{":5\r\n", false, false},
		{":-1\r\n", false, false},
		{"+OK\r\n", false, false},
		{"$1\r\n1\r\n", false, false},
	} {
		b, err := readOne(t, tc.wire).Bool()
		var te *TypeError
		if b != tc.want || (err == nil) != tc.ok || (!tc.ok && !errors.As(err, &te)) {
			t.Errorf("Bool on %q = %v, %v; want %v (ok %v)", tc.wire, b, err, tc.want, tc.ok)
		}
	}
}

func TestArrayReturnsTheElementsOfEveryAggregate(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want []Value
	}{
		{"*2\r\n:1\r\n$1\r\na\r\n", []Value{Integer(1), bulk("a")}},
		{"*0\r\n", []Value{}},
		{"~2\r\n+a\r\n+b\r\n", []Value{SimpleString("a"), SimpleString("b")}},
		{">2\r\n+message\r\n+x\r\n", []Value{SimpleString("message"), SimpleString("x")}},
		{"%1\r\n+k\r\n:1\r\n", []Value{SimpleString("k"), Integer(1)}},
	} {
		got, err := readOne(t, tc.wire).Array()
		if err != nil || got == nil {
			t.Errorf("Array on %q = %v, %v", tc.wire, got, err)
		}
		if d := diffList(fmt.Sprintf("Array on %q", tc.wire), tc.want, got); d != "" {
			t.Error(d)
		}
	}
}

func TestStringsConvertsEachElementAsText(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want []string
	}{
		{"*3\r\n$1\r\na\r\n+b\r\n:3\r\n", []string{"a", "b", "3"}},
		{"*0\r\n", []string{}},
		{"~2\r\n$1\r\nx\r\n,2.5\r\n", []string{"x", "2.5"}},
		{">2\r\n+message\r\n$0\r\n\r\n", []string{"message", ""}},
		{"*1\r\n=7\r\ntxt:abc\r\n", []string{"abc"}},
	} {
		got, err := readOne(t, tc.wire).Strings()
		if err != nil || got == nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Strings on %q = %#v, %v; want %#v", tc.wire, got, err, tc.want)
		}
	}
}

func TestStringsRejectsNullAndNonStringElements(t *testing.T) {
	for _, tc := range []struct {
		wire  string
		index int
		got   Type
		null  bool
	}{
		{"*2\r\n$1\r\na\r\n$-1\r\n", 1, TypeBulkString, true},
		{"*1\r\n_\r\n", 0, TypeNull, true},
		{"*1\r\n*-1\r\n", 0, TypeArray, true},
		{"*2\r\n+a\r\n-ERR x\r\n", 1, TypeSimpleError, false},
		{"~1\r\n*0\r\n", 0, TypeArray, false},
		{"*1\r\n#t\r\n", 0, TypeBoolean, false},
	} {
		got, err := readOne(t, tc.wire).Strings()
		var te *TypeError
		if !errors.As(err, &te) || got != nil {
			t.Errorf("Strings on %q = %v, %v; want a *TypeError", tc.wire, got, err)
			continue
		}
		want := TypeError{Accessor: "Strings", Want: "string", Got: tc.got, Null: tc.null, Index: tc.index}
		if *te != want {
			t.Errorf("Strings on %q: %+v, want %+v", tc.wire, *te, want)
		}
		// An element's null or error reply is not the reply's own.
		var se *Error
		if errors.Is(err, ErrNull) || errors.As(err, &se) {
			t.Errorf("Strings on %q: %v matches ErrNull or *Error", tc.wire, err)
		}
	}
}

func TestStringMapAcceptsRESP3MapsAndRESP2FlatArrays(t *testing.T) {
	for _, tc := range []struct {
		name, wire string
		want       map[string]string
	}{
		{"RESP3 map", "%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n,2.5\r\n", map[string]string{"first": "1", "second": "2.5"}},
		{"RESP2 HGETALL", "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$0\r\n\r\n", map[string]string{"a": "1", "b": ""}},
		{"empty map", "%0\r\n", map[string]string{}},
		{"empty array", "*0\r\n", map[string]string{}},
		{"repeated key: the later wins", "*4\r\n+k\r\n+1\r\n+k\r\n+2\r\n", map[string]string{"k": "2"}},
	} {
		got, err := readOne(t, tc.wire).StringMap()
		if err != nil || got == nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: StringMap = %#v, %v; want %#v", tc.name, got, err, tc.want)
		}
	}
}

func TestStringMapRejectsOddArraysAndUnconvertibleEntries(t *testing.T) {
	for _, tc := range []struct {
		wire  string
		want  TypeError
		cause bool
	}{
		{"*3\r\n+a\r\n+b\r\n+c\r\n", TypeError{Accessor: "StringMap", Want: "map[string]string", Got: TypeArray, Index: -1}, true},
		{"~2\r\n+a\r\n+b\r\n", TypeError{Accessor: "StringMap", Want: "map[string]string", Got: TypeSet, Index: -1}, false},
		{"%1\r\n+k\r\n_\r\n", TypeError{Accessor: "StringMap", Want: "string", Got: TypeNull, Null: true, Index: 1}, false},
		{"*2\r\n$-1\r\n+v\r\n", TypeError{Accessor: "StringMap", Want: "string", Got: TypeBulkString, Null: true, Index: 0}, false},
		{"%2\r\n+a\r\n+b\r\n*0\r\n+v\r\n", TypeError{Accessor: "StringMap", Want: "string", Got: TypeArray, Index: 2}, false},
	} {
		got, err := readOne(t, tc.wire).StringMap()
		var te *TypeError
		if !errors.As(err, &te) || got != nil {
			t.Errorf("StringMap on %q = %v, %v; want a *TypeError", tc.wire, got, err)
			continue
		}
		if (te.Cause != nil) != tc.cause {
			t.Errorf("StringMap on %q: Cause %v", tc.wire, te.Cause)
		}
		te.Cause = nil
		if *te != tc.want {
			t.Errorf("StringMap on %q: %+v, want %+v", tc.wire, *te, tc.want)
		}
	}
}

func TestMapReturnsPairsInWireOrder(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want []Pair
		ok   bool
	}{
		{"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
			[]Pair{pair(SimpleString("first"), Integer(1)), pair(SimpleString("second"), Integer(2))}, true},
		{"%0\r\n", []Pair{}, true},
		// RESP2 servers answer HGETALL with a flat array.
		{"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", []Pair{pair(bulk("a"), bulk("1")), pair(bulk("b"), bulk("2"))}, true},
		{"*0\r\n", []Pair{}, true},
		{"*3\r\n:1\r\n:2\r\n:3\r\n", nil, false},
	} {
		got, err := readOne(t, tc.wire).Map()
		var te *TypeError
		if tc.ok != (err == nil) || (!tc.ok && !errors.As(err, &te)) {
			t.Errorf("Map on %q: %v", tc.wire, err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("Map on %q: %d pairs, want %d", tc.wire, len(got), len(tc.want))
			continue
		}
		for i := range got {
			if d := diffValues(fmt.Sprintf("Map on %q [%d].Key", tc.wire, i), tc.want[i].Key, got[i].Key); d != "" {
				t.Error(d)
			}
			if d := diffValues(fmt.Sprintf("Map on %q [%d].Value", tc.wire, i), tc.want[i].Value, got[i].Value); d != "" {
				t.Error(d)
			}
		}
	}
}

func TestStringIsReadableDebugForm(t *testing.T) {
	many := make([]Value, 20)
	for i := range many {
		many[i] = Integer(int64(i))
	}
	manyPairs := make([]Pair, 18)
	for i := range manyPairs {
		manyPairs[i] = pair(bulk(strconv.Itoa(i)), Boolean(i%2 == 0))
	}
	for _, tc := range []struct {
		name string
		v    Value
		want string
	}{
		{"simple string", SimpleString("PONG"), `"PONG"`},
		{"bulk string", bulk("hello world"), `"hello world"`},
		{"empty bulk string", bulk(""), `""`},
		{"bulk string holding a number", bulk("42"), `"42"`},
		{"binary data", BulkString([]byte{0, 1, 'a', 0xff, '\r', '\n'}), `"\x00\x01a\xff\r\n"`},
		{"unicode", bulk("héllo ✓"), `"héllo ✓"`},
		{"long string", bulk(strings.Repeat("v", 4096)), `"` + strings.Repeat("v", 64) + `"…(4096 bytes)`},
		{"long string not cut inside a rune", bulk(strings.Repeat("a", 63) + "éé"), `"` + strings.Repeat("a", 63) + `"…(67 bytes)`},
		{"verbatim", Verbatim("txt", []byte("Some string")), `(verbatim txt) "Some string"`},
		{"integer", Integer(-42), "(integer) -42"},
		{"double", Double(1.5), "(double) 1.5"},
		{"infinite double", Double(math.Inf(-1)), "(double) -inf"},
		{"NaN", Double(math.NaN()), "(double) nan"},
		{"big number", BigNumber("3492890328409238509324850943850943825024385"), "(big number) 3492890328409238509324850943850943825024385"},
		{"true", Boolean(true), "(true)"},
		{"false", Boolean(false), "(false)"},
		{"RESP3 null", Null(), "(nil)"},
		{"RESP2 null bulk string", NullBulkString(), "(nil)"},
		{"RESP2 null array", NullArray(), "(nil)"},
		{"simple error", SimpleError("ERR unknown command 'foo'"), "(error) ERR unknown command 'foo'"},
		{"bulk error with a newline", BulkError("ERR line1\r\nline2"), `(error) "ERR line1\r\nline2"`},
		{"long error", SimpleError("ERR " + strings.Repeat("x", 300)), "(error) ERR " + strings.Repeat("x", 252) + "…(304 bytes)"},
		{"empty array", ArrayOf(), "[]"},
		{"array", ArrayOf(bulk("a"), Integer(1), NullBulkString()), `["a", (integer) 1, (nil)]`},
		{"nested", ArrayOf(bulk("a"), ArrayOf(Integer(1), ArrayOf()), MapOf(pair(bulk("k"), SetOf(bulk("x"))))),
			`["a", [(integer) 1, []], {"k": ~["x"]}]`},
		{"set", SetOf(bulk("a"), bulk("b")), `~["a", "b"]`},
		{"push", PushOf(bulk("message"), bulk("ch"), bulk("hi")), `>["message", "ch", "hi"]`},
		{"map", MapOf(pair(bulk("field"), bulk("value")), pair(SimpleString("n"), Integer(1))), `{"field": "value", "n": (integer) 1}`},
		{"empty map", MapOf(), "{}"},
		{"long array", ArrayOf(many...),
			"[(integer) 0, (integer) 1, (integer) 2, (integer) 3, (integer) 4, (integer) 5, (integer) 6, (integer) 7, " +
				"(integer) 8, (integer) 9, (integer) 10, (integer) 11, (integer) 12, (integer) 13, (integer) 14, (integer) 15, … 4 more]"},
		{"long map", MapOf(manyPairs...),
			`{"0": (true), "1": (false), "2": (true), "3": (false), "4": (true), "5": (false), "6": (true), "7": (false), ` +
				`"8": (true), "9": (false), "10": (true), "11": (false), "12": (true), "13": (false), "14": (true), "15": (false), … 2 more}`},
		{"attributes", Integer(1).WithAttributes(pair(SimpleString("ttl"), Integer(60))), `|{"ttl": (integer) 60} (integer) 1`},
		{"zero Value", Value{}, "(zero Value)"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, got, tc.want)
		}
	}
}

func TestStringIsWhatFmtPrints(t *testing.T) {
	v := ArrayOf(bulk("a"), Integer(1))
	for _, got := range []string{fmt.Sprint(v), fmt.Sprintf("%v", v), fmt.Sprintln(v)[:len(v.String())]} {
		if got != `["a", (integer) 1]` {
			t.Errorf("fmt printed %q", got)
		}
	}
	if got := fmt.Sprint([]Value{Integer(1), bulk("b")}); got != `[(integer) 1 "b"]` {
		t.Errorf("fmt printed a []Value as %q", got)
	}
}

func TestStringOfHugeRepliesIsBounded(t *testing.T) {
	// A wide array, and a tree 16 wide and 6 deep (16^6 leaves), both print
	// a bounded number of values.
	wide := make([]Value, 1_000_000)
	for i := range wide {
		wide[i] = bulk("member")
	}
	tree := bulk(strings.Repeat("x", 1000))
	for range 6 {
		level := make([]Value, 16)
		for i := range level {
			level[i] = tree
		}
		tree = ArrayOf(level...)
	}
	for name, v := range map[string]Value{"wide": ArrayOf(wide...), "deep": tree} {
		var s string
		allocated := heapAllocated(func() { s = v.String() })
		if len(s) > 16<<10 || allocated > 256<<10 {
			t.Errorf("%s: String() is %d bytes and allocated %d bytes", name, len(s), allocated)
		}
		if !strings.Contains(s, " more]") {
			t.Errorf("%s: String() does not say what it left out: %.200s", name, s)
		}
	}
}

func TestValueIsNull(t *testing.T) {
	for wire, want := range map[string]bool{
		"_\r\n":      true,
		"$-1\r\n":    true,
		"*-1\r\n":    true,
		"$0\r\n\r\n": false,
		"*0\r\n":     false,
		":0\r\n":     false,
		"#f\r\n":     false,
		"+\r\n":      false,
		"%0\r\n":     false,
	} {
		if got := readOne(t, wire).IsNull(); got != want {
			t.Errorf("IsNull on %q = %v, want %v", wire, got, want)
		}
	}
	// A RESP2 null keeps its type; IsNull tells it from an empty value.
	if v := readOne(t, "$-1\r\n"); v.Type() != TypeBulkString {
		t.Errorf("$-1 has type %s, want bulk string", v.Type())
	}
	if v := readOne(t, "*-1\r\n"); v.Type() != TypeArray {
		t.Errorf("*-1 has type %s, want array", v.Type())
	}
}

func TestValueErr(t *testing.T) {
	for _, tc := range []struct {
		wire, prefix, message string
	}{
		{"-ERR unknown command 'foo'\r\n", "ERR", "ERR unknown command 'foo'"},
		{"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "WRONGTYPE",
			"WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"-MOVED 3999 127.0.0.1:6381\r\n", "MOVED", "MOVED 3999 127.0.0.1:6381"},
		{"-NOSCRIPT No matching script. Please use EVAL.\r\n", "NOSCRIPT", "NOSCRIPT No matching script. Please use EVAL."},
		{"-BUSYGROUP Consumer Group name already exists\r\n", "BUSYGROUP", "BUSYGROUP Consumer Group name already exists"},
		{"-LOADING\r\n", "LOADING", "LOADING"},
		{"-MY_ERR2 x\r\n", "MY_ERR2", "MY_ERR2 x"},
		{"-oops lower case\r\n", "", "oops lower case"},
		{"-Err mixed case\r\n", "", "Err mixed case"},
		{"- leading space\r\n", "", " leading space"},
		{"-\r\n", "", ""},
		{"!21\r\nSYNTAX invalid syntax\r\n", "SYNTAX", "SYNTAX invalid syntax"},
		{"!16\r\nERR line1\r\nline2\r\n", "ERR", "ERR line1\r\nline2"},
	} {
		err := readOne(t, tc.wire).Err()
		var se *Error
		if !errors.As(fmt.Errorf("wrapped: %w", err), &se) {
			t.Errorf("Err on %q = %v, want a *Error", tc.wire, err)
			continue
		}
		if se.Prefix != tc.prefix || se.Message != tc.message || se.Error() != tc.message {
			t.Errorf("Err on %q: Prefix %q, Message %q, Error() %q; want %q, %q", tc.wire, se.Prefix, se.Message, se.Error(), tc.prefix, tc.message)
		}
	}
	for _, wire := range []string{"+OK\r\n", ":1\r\n", "$3\r\nERR\r\n", "_\r\n", "$-1\r\n", "*1\r\n-ERR x\r\n"} {
		if err := readOne(t, wire).Err(); err != nil {
			t.Errorf("Err on %q = %v, want nil", wire, err)
		}
	}
}

func TestValueLen(t *testing.T) {
	for wire, want := range map[string]int{
		"*3\r\n:1\r\n:2\r\n:3\r\n":         3,
		"*0\r\n":                           0,
		"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n":   2, // pairs
		"~1\r\n+a\r\n":                     1,
		">2\r\n+a\r\n+b\r\n":               2,
		"$5\r\nhello\r\n":                  5,
		"+OK\r\n":                          2,
		"=15\r\ntxt:Some string\r\n":       11,
		"!21\r\nSYNTAX invalid syntax\r\n": 21,
		"(123\r\n":                         3,
		"$-1\r\n":                          0,
		"*-1\r\n":                          0,
		"_\r\n":                            0,
		":12345\r\n":                       0,
	} {
		if got := readOne(t, wire).Len(); got != want {
			t.Errorf("Len on %q = %d, want %d", wire, got, want)
		}
	}
}

func TestValueVerbatimFormat(t *testing.T) {
	for wire, want := range map[string]string{
		"=15\r\ntxt:Some string\r\n": "txt",
		"=6\r\nmkd:**\r\n":           "mkd",
		"$3\r\ntxt\r\n":              "",
		"+txt\r\n":                   "",
	} {
		if got := readOne(t, wire).VerbatimFormat(); got != want {
			t.Errorf("VerbatimFormat on %q = %q, want %q", wire, got, want)
		}
	}
	if got := Verbatim("markdown", nil).VerbatimFormat(); got != "mar" {
		t.Errorf("Verbatim keeps the first three bytes of its format: got %q", got)
	}
}

func TestValueAttributes(t *testing.T) {
	if got := readOne(t, "+OK\r\n").Attributes(); got != nil {
		t.Errorf("a value without attributes: Attributes() = %v, want nil", got)
	}
	if got := readOne(t, "|0\r\n+OK\r\n").Attributes(); got == nil || len(got) != 0 {
		t.Errorf("an empty attribute map: Attributes() = %v, want empty, not nil", got)
	}
	v := readOne(t, "|2\r\n+key-popularity\r\n,0.5\r\n+ttl\r\n:60\r\n*1\r\n:1\r\n")
	ps := v.Attributes()
	if len(ps) != 2 {
		t.Fatalf("Attributes() has %d pairs, want 2", len(ps))
	}
	if k, _ := ps[0].Key.Text(); k != "key-popularity" {
		t.Errorf("first key %q", k)
	}
	if f, _ := ps[0].Value.Float64(); f != 0.5 {
		t.Errorf("first value %v", f)
	}
	if k, _ := ps[1].Key.Text(); k != "ttl" {
		t.Errorf("second key %q", k)
	}
	if n, _ := ps[1].Value.Int64(); n != 60 {
		t.Errorf("second value %v", n)
	}
	// Attributes do not change what the value is.
	if elems, err := v.Array(); err != nil || len(elems) != 1 || v.Len() != 1 {
		t.Errorf("the attributed array reads as %v, %v", elems, err)
	}
	// Inside an aggregate, the attribute belongs to the element.
	elems, _ := readOne(t, "*2\r\n:1\r\n|1\r\n+a\r\n+b\r\n:2\r\n").Array()
	if elems[0].Attributes() != nil || len(elems[1].Attributes()) != 1 {
		t.Errorf("attributes landed on the wrong element: %v, %v", elems[0].Attributes(), elems[1].Attributes())
	}
}

func TestWithAttributesDoesNotChangeTheOriginal(t *testing.T) {
	v := Integer(1)
	w := v.WithAttributes(pair(SimpleString("a"), SimpleString("b")))
	if v.Attributes() != nil || len(w.Attributes()) != 1 {
		t.Errorf("WithAttributes changed its receiver: %v, %v", v.Attributes(), w.Attributes())
	}
}

func TestTypeString(t *testing.T) {
	for typ, want := range map[Type]string{
		TypeSimpleString: "simple string",
		TypeSimpleError:  "simple error",
		TypeInteger:      "integer",
		TypeBulkString:   "bulk string",
		TypeArray:        "array",
		TypeNull:         "null",
		TypeBoolean:      "boolean",
		TypeDouble:       "double",
		TypeBigNumber:    "big number",
		TypeBulkError:    "bulk error",
		TypeVerbatim:     "verbatim string",
		TypeMap:          "map",
		TypeSet:          "set",
		TypePush:         "push",
		typeAttribute:    "attribute",
		Type('@'):        "type '@'",
		Type(0):          "empty (zero Value)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("Type(%q).String() = %q, want %q", byte(typ), got, want)
		}
	}
}

func TestConstructors(t *testing.T) {
	// Nil slices become empty, so a constructed value equals a read one.
	for _, v := range []Value{BulkString(nil), ArrayOf(), SetOf(), PushOf(), MapOf()} {
		if v.IsNull() {
			t.Errorf("%s built from nothing is null", v.Type())
		}
	}
	if b, err := BulkString(nil).Bytes(); err != nil || b == nil || len(b) != 0 {
		t.Errorf("BulkString(nil).Bytes() = %#v, %v; want an empty slice", b, err)
	}
	if elems, err := ArrayOf().Array(); err != nil || elems == nil {
		t.Errorf("ArrayOf().Array() = %#v, %v; want an empty slice", elems, err)
	}
}
