package resp

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// The accessor tests read their values off the wire, as callers get them.

// wantErr classifies an accessor's expected error.
type wantErr int

const (
	noErr      wantErr = iota
	nullErr            // errors.Is(err, ErrNull)
	typeErr            // errors.As(err, **TypeError) with the accessor and type
	serverErr          // errors.As(err, **Error)
	convertErr         // some other error: a string that is not a number
)

func checkErr(t *testing.T, accessor, wire string, err error, want wantErr) {
	t.Helper()
	var te *TypeError
	var se *Error
	switch want {
	case noErr:
		if err != nil {
			t.Errorf("%s on %q: %v", accessor, wire, err)
		}
	case nullErr:
		if !errors.Is(err, ErrNull) {
			t.Errorf("%s on %q: got %v, want ErrNull", accessor, wire, err)
		}
	case typeErr:
		if !errors.As(err, &te) || te.Accessor != accessor || byte(te.Got) != wire[0] {
			t.Errorf("%s on %q: got %v, want a *TypeError for %s on %q", accessor, wire, err, accessor, wire[0])
		}
	case serverErr:
		if !errors.As(err, &se) {
			t.Errorf("%s on %q: got %v, want a *Error", accessor, wire, err)
		}
	case convertErr:
		if err == nil || errors.As(err, &te) || errors.As(err, &se) || errors.Is(err, ErrNull) {
			t.Errorf("%s on %q: got %v, want a conversion error", accessor, wire, err)
		}
	}
}

func TestValueBytes(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want string
		err  wantErr
	}{
		{"+OK\r\n", "OK", noErr},
		{"$5\r\nhello\r\n", "hello", noErr},
		{"$0\r\n\r\n", "", noErr},
		{"=15\r\ntxt:Some string\r\n", "Some string", noErr},
		{"(-3492890328409238509324850943850943825024385\r\n", "-3492890328409238509324850943850943825024385", noErr},
		{":-42\r\n", "-42", noErr},
		{",1.5\r\n", "1.5", noErr},
		{",1e+21\r\n", "1e+21", noErr},
		{",-inf\r\n", "-inf", noErr},
		{",nan\r\n", "nan", noErr},
		{"$-1\r\n", "", nullErr},
		{"*-1\r\n", "", nullErr},
		{"_\r\n", "", nullErr},
		{"-ERR boom\r\n", "", serverErr},
		{"!21\r\nSYNTAX invalid syntax\r\n", "", serverErr},
		{"#t\r\n", "", typeErr},
		{"*1\r\n:1\r\n", "", typeErr},
		{"%0\r\n", "", typeErr},
		{"~0\r\n", "", typeErr},
		{">0\r\n", "", typeErr},
	} {
		v := readOne(t, tc.wire)
		b, err := v.Bytes()
		checkErr(t, "Bytes", tc.wire, err, tc.err)
		if string(b) != tc.want {
			t.Errorf("Bytes on %q = %q, want %q", tc.wire, b, tc.want)
		}
		s, err := v.String()
		if s != tc.want || (err == nil) != (tc.err == noErr) {
			t.Errorf("String on %q = %q, %v; want %q", tc.wire, s, err, tc.want)
		}
	}
}

func TestValueInt64(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want int64
		err  wantErr
	}{
		{":1000\r\n", 1000, noErr},
		{":-9223372036854775808\r\n", math.MinInt64, noErr},
		{"#t\r\n", 1, noErr},
		{"#f\r\n", 0, noErr},
		{"$3\r\n123\r\n", 123, noErr},
		{"+-5\r\n", -5, noErr},
		{"(12345\r\n", 12345, noErr},
		{"(3492890328409238509324850943850943825024385\r\n", 0, convertErr},
		{"$3\r\nabc\r\n", 0, convertErr},
		{"$3\r\n1.5\r\n", 0, convertErr},
		{"$0\r\n\r\n", 0, convertErr},
		{"$-1\r\n", 0, nullErr},
		{"_\r\n", 0, nullErr},
		{"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", 0, serverErr},
		{"!3\r\nERR\r\n", 0, serverErr},
		{",1.5\r\n", 0, typeErr},
		{"=5\r\ntxt:1\r\n", 0, typeErr},
		{"*0\r\n", 0, typeErr},
	} {
		n, err := readOne(t, tc.wire).Int64()
		checkErr(t, "Int64", tc.wire, err, tc.err)
		if n != tc.want {
			t.Errorf("Int64 on %q = %d, want %d", tc.wire, n, tc.want)
		}
	}
}

func TestValueFloat64(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want float64
		err  wantErr
	}{
		{",1.23\r\n", 1.23, noErr},
		{",-inf\r\n", math.Inf(-1), noErr},
		{":7\r\n", 7, noErr},
		{"$4\r\n3.25\r\n", 3.25, noErr},
		{"$3\r\ninf\r\n", math.Inf(1), noErr},
		{"$4\r\n-inf\r\n", math.Inf(-1), noErr},
		{"+1e3\r\n", 1000, noErr},
		{"(42\r\n", 42, noErr},
		{"$1\r\nx\r\n", 0, convertErr},
		{"$8\r\nInfinity\r\n", 0, convertErr},
		{"*-1\r\n", 0, nullErr},
		{"-ERR not a float\r\n", 0, serverErr},
		{"#t\r\n", 0, typeErr},
		{"%0\r\n", 0, typeErr},
	} {
		f, err := readOne(t, tc.wire).Float64()
		checkErr(t, "Float64", tc.wire, err, tc.err)
		if f != tc.want {
			t.Errorf("Float64 on %q = %v, want %v", tc.wire, f, tc.want)
		}
	}
	f, err := readOne(t, ",nan\r\n").Float64()
	if err != nil || !math.IsNaN(f) {
		t.Errorf("Float64 on nan = %v, %v", f, err)
	}
}

func TestValueBool(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want bool
		err  wantErr
	}{
		{"#t\r\n", true, noErr},
		{"#f\r\n", false, noErr},
		{":1\r\n", true, noErr},
		{":0\r\n", false, noErr},
		{":5\r\n", true, noErr},
		{"_\r\n", false, nullErr},
		{"$-1\r\n", false, nullErr},
		{"-ERR x\r\n", false, serverErr},
		{"$1\r\n1\r\n", false, typeErr},
		{"+OK\r\n", false, typeErr},
	} {
		b, err := readOne(t, tc.wire).Bool()
		checkErr(t, "Bool", tc.wire, err, tc.err)
		if b != tc.want {
			t.Errorf("Bool on %q = %v, want %v", tc.wire, b, tc.want)
		}
	}
}

func TestValueArray(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want []Value
		err  wantErr
	}{
		{"*2\r\n:1\r\n$1\r\na\r\n", []Value{Integer(1), bulk("a")}, noErr},
		{"*0\r\n", []Value{}, noErr},
		{"~2\r\n+a\r\n+b\r\n", []Value{SimpleString("a"), SimpleString("b")}, noErr},
		{">2\r\n+message\r\n+x\r\n", []Value{SimpleString("message"), SimpleString("x")}, noErr},
		{"%1\r\n+k\r\n:1\r\n", []Value{SimpleString("k"), Integer(1)}, noErr},
		{"*-1\r\n", nil, nullErr},
		{"$-1\r\n", nil, nullErr},
		{"_\r\n", nil, nullErr},
		{"-ERR x\r\n", nil, serverErr},
		{"$1\r\na\r\n", nil, typeErr},
		{":1\r\n", nil, typeErr},
	} {
		got, err := readOne(t, tc.wire).Array()
		checkErr(t, "Array", tc.wire, err, tc.err)
		if d := diffList(fmt.Sprintf("Array on %q", tc.wire), tc.want, got); d != "" {
			t.Error(d)
		}
	}
}

func TestValueMap(t *testing.T) {
	for _, tc := range []struct {
		wire string
		want []Pair
		err  wantErr
	}{
		{"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
			[]Pair{pair(SimpleString("first"), Integer(1)), pair(SimpleString("second"), Integer(2))}, noErr},
		{"%0\r\n", []Pair{}, noErr},
		// RESP2 servers answer HGETALL with a flat array.
		{"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", []Pair{pair(bulk("a"), bulk("1")), pair(bulk("b"), bulk("2"))}, noErr},
		{"*0\r\n", []Pair{}, noErr},
		{"*3\r\n:1\r\n:2\r\n:3\r\n", nil, typeErr},
		{"~2\r\n:1\r\n:2\r\n", nil, typeErr},
		{"*-1\r\n", nil, nullErr},
		{"_\r\n", nil, nullErr},
		{"!5\r\nERR x\r\n", nil, serverErr},
		{"+OK\r\n", nil, typeErr},
	} {
		got, err := readOne(t, tc.wire).Map()
		checkErr(t, "Map", tc.wire, err, tc.err)
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
	if k, _ := ps[0].Key.String(); k != "key-popularity" {
		t.Errorf("first key %q", k)
	}
	if f, _ := ps[0].Value.Float64(); f != 0.5 {
		t.Errorf("first value %v", f)
	}
	if k, _ := ps[1].Key.String(); k != "ttl" {
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
		Type(0):          `type '\x00'`,
	} {
		if got := typ.String(); got != want {
			t.Errorf("Type(%q).String() = %q, want %q", byte(typ), got, want)
		}
	}
}

func TestTypeErrorMessage(t *testing.T) {
	_, err := readOne(t, "*0\r\n").Int64()
	if msg := err.Error(); !strings.HasPrefix(msg, "resp: Int64 called on a") || !strings.Contains(msg, "array") {
		t.Errorf("Error() = %q, want it to name Int64 and array", msg)
	}
	if !strings.HasPrefix(ErrNull.Error(), "resp: ") {
		t.Errorf("ErrNull = %q", ErrNull)
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
