package resp

import (
	"errors"
	"io"
	"strings"
	"testing"
)

var protocolErrorCases = []struct {
	name   string
	wire   string
	limits Limits
	typ    byte   // want ProtocolError.Type
	offset int64  // want ProtocolError.Offset
	reason string // want a substring of ProtocolError.Reason
}{
	// Type bytes and empty lines.
	{name: "unknown type byte", wire: "@foo\r\n", typ: 0, offset: 0, reason: "unknown type byte '@'"},
	{name: "unknown type byte inside an array", wire: "*2\r\n:1\r\n?x\r\n", typ: 0, offset: 8, reason: "unknown type byte '?'"},
	{name: "empty line", wire: "\r\n", typ: 0, offset: 0, reason: "empty line"},

	// Streamed strings and aggregates.
	{name: "streamed bulk string", wire: "$?\r\n;4\r\nHell\r\n;0\r\n", typ: '$', offset: 0, reason: "streamed"},
	{name: "streamed array", wire: "*?\r\n:1\r\n.\r\n", typ: '*', offset: 0, reason: "streamed"},
	{name: "streamed map", wire: "%?\r\n", typ: '%', offset: 0, reason: "streamed"},
	{name: "streamed set", wire: "~?\r\n", typ: '~', offset: 0, reason: "streamed"},
	{name: "streamed push", wire: ">?\r\n", typ: '>', offset: 0, reason: "streamed"},
	{name: "streamed attribute", wire: "|?\r\n", typ: '|', offset: 0, reason: "streamed"},
	{name: "streamed string chunk", wire: ";4\r\nHell\r\n", typ: 0, offset: 0, reason: "unknown type byte ';'"},
	{name: "streamed aggregate end", wire: ".\r\n", typ: 0, offset: 0, reason: "unknown type byte '.'"},

	// Lengths.
	{name: "negative bulk length", wire: "$-5\r\n", typ: '$', offset: 0, reason: "negative length -5"},
	{name: "negative array length", wire: "*-2\r\n", typ: '*', offset: 0, reason: "negative length -2"},
	{name: "negative length inside an array", wire: "*1\r\n$-2\r\n", typ: '$', offset: 4, reason: "negative length -2"},
	{name: "null map", wire: "%-1\r\n", typ: '%', offset: 0, reason: "null length -1"},
	{name: "null set", wire: "~-1\r\n", typ: '~', offset: 0, reason: "null length -1"},
	{name: "null push", wire: ">-1\r\n", typ: '>', offset: 0, reason: "null length -1"},
	{name: "null attribute", wire: "|-1\r\n:1\r\n", typ: '|', offset: 0, reason: "null length -1"},
	{name: "null bulk error", wire: "!-1\r\n", typ: '!', offset: 0, reason: "null length -1"},
	{name: "null verbatim string", wire: "=-1\r\n", typ: '=', offset: 0, reason: "null length -1"},
	{name: "non-numeric length", wire: "$abc\r\n", typ: '$', offset: 0, reason: "invalid length"},
	{name: "empty length", wire: "*\r\n", typ: '*', offset: 0, reason: "invalid length"},
	{name: "fractional length", wire: "*1.5\r\n", typ: '*', offset: 0, reason: "invalid length"},
	{name: "overflowing length", wire: "$99999999999999999999\r\n", typ: '$', offset: 0, reason: "invalid length"},

	// Configured limits.
	{name: "bulk string over the limit", wire: "$11\r\nhello world\r\n", limits: Limits{MaxBulkLen: 10},
		typ: '$', offset: 0, reason: "length 11 over the limit of 10"},
	{name: "bulk error over the limit", wire: "!11\r\nERR a b c d\r\n", limits: Limits{MaxBulkLen: 10},
		typ: '!', offset: 0, reason: "over the limit"},
	{name: "verbatim string over the limit", wire: "=15\r\ntxt:Some string\r\n", limits: Limits{MaxBulkLen: 10},
		typ: '=', offset: 0, reason: "over the limit"},
	{name: "bulk string over the limit inside an array", wire: "*2\r\n$1\r\na\r\n$11\r\nhello world\r\n", limits: Limits{MaxBulkLen: 10},
		typ: '$', offset: 11, reason: "over the limit"},
	{name: "bulk string over the default limit", wire: "$536870913\r\n", typ: '$', offset: 0, reason: "over the limit of 536870912"},
	{name: "array over the limit", wire: "*4\r\n", limits: Limits{MaxAggregateLen: 3}, typ: '*', offset: 0, reason: "length 4 over the limit of 3"},
	{name: "map over the limit", wire: "%4\r\n", limits: Limits{MaxAggregateLen: 3}, typ: '%', offset: 0, reason: "over the limit"},
	{name: "set over the limit", wire: "~4\r\n", limits: Limits{MaxAggregateLen: 3}, typ: '~', offset: 0, reason: "over the limit"},
	{name: "push over the limit", wire: ">4\r\n", limits: Limits{MaxAggregateLen: 3}, typ: '>', offset: 0, reason: "over the limit"},
	{name: "attribute over the limit", wire: "|4\r\n", limits: Limits{MaxAggregateLen: 3}, typ: '|', offset: 0, reason: "over the limit"},
	{name: "array over the default limit", wire: "*33554433\r\n", typ: '*', offset: 0, reason: "over the limit of 33554432"},
	{name: "line over the bulk limit", wire: "+" + strings.Repeat("y", 50<<10) + "\r\n", limits: Limits{MaxBulkLen: 40 << 10},
		typ: 0, offset: 0, reason: "line longer than the bulk length limit"},

	// Nesting.
	{name: "arrays nested too deep", wire: "*1\r\n*1\r\n*1\r\n:1\r\n", limits: Limits{MaxDepth: 2},
		typ: '*', offset: 8, reason: "nesting deeper than the limit of 2"},
	{name: "maps nested too deep", wire: "%1\r\n+k\r\n%1\r\n+k\r\n%1\r\n+k\r\n:1\r\n", limits: Limits{MaxDepth: 2},
		typ: '%', offset: 16, reason: "nesting deeper"},
	{name: "attribute nested too deep", wire: "*1\r\n*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n", limits: Limits{MaxDepth: 2},
		typ: '|', offset: 8, reason: "nesting deeper"},
	{name: "nested deeper than the default limit", wire: strings.Repeat("*1\r\n", 33) + ":1\r\n",
		typ: '*', offset: 128, reason: "nesting deeper than the limit of 32"},

	// Line endings.
	{name: "LF without CR", wire: "+OK\n", typ: 0, offset: 0, reason: "LF without CR"},
	{name: "LF without CR inside an array", wire: "*1\r\n:1\n", typ: 0, offset: 4, reason: "LF without CR"},
	{name: "LF without CR in a header", wire: "$3\nabc\r\n", typ: 0, offset: 0, reason: "LF without CR"},
	{name: "payload longer than its length", wire: "$3\r\nabcde\r\n", typ: 0, offset: 7, reason: "payload not followed by CRLF"},
	{name: "payload followed by LF CR", wire: "$3\r\nabc\n\r", typ: 0, offset: 7, reason: "payload not followed by CRLF"},
	{name: "large payload not followed by CRLF", wire: "$70000\r\n" + strings.Repeat("x", 70002), typ: 0, offset: 70008,
		reason: "payload not followed by CRLF"},

	// Integers.
	{name: "non-numeric integer", wire: ":abc\r\n", typ: ':', offset: 0, reason: "invalid integer \"abc\""},
	{name: "empty integer", wire: ":\r\n", typ: ':', offset: 0, reason: "invalid integer"},
	{name: "sign alone", wire: ":-\r\n", typ: ':', offset: 0, reason: "invalid integer"},
	{name: "fractional integer", wire: ":1.5\r\n", typ: ':', offset: 0, reason: "invalid integer"},
	{name: "integer with a space", wire: ": 1\r\n", typ: ':', offset: 0, reason: "invalid integer"},
	{name: "overflowing integer", wire: ":99999999999999999999\r\n", typ: ':', offset: 0, reason: "invalid integer"},
	{name: "integer just over int64", wire: ":9223372036854775808\r\n", typ: ':', offset: 0, reason: "invalid integer"},
	{name: "integer just under int64", wire: ":-9223372036854775809\r\n", typ: ':', offset: 0, reason: "invalid integer"},

	// Doubles.
	{name: "double with two dots", wire: ",1.2.3\r\n", typ: ',', offset: 0, reason: "invalid double"},
	{name: "empty double", wire: ",\r\n", typ: ',', offset: 0, reason: "invalid double"},
	{name: "word double", wire: ",abc\r\n", typ: ',', offset: 0, reason: "invalid double"},
	{name: "hexadecimal double", wire: ",0x10\r\n", typ: ',', offset: 0, reason: "invalid double"},
	{name: "Go infinity spelling", wire: ",Infinity\r\n", typ: ',', offset: 0, reason: "invalid double"},
	{name: "double with underscore", wire: ",1_000\r\n", typ: ',', offset: 0, reason: "invalid double"},
	{name: "double out of range", wire: ",1e400\r\n", typ: ',', offset: 0, reason: "invalid double"},
	{name: "double with bare exponent", wire: ",1e\r\n", typ: ',', offset: 0, reason: "invalid double"},

	// Booleans, big numbers, nulls, verbatim strings.
	{name: "boolean x", wire: "#x\r\n", typ: '#', offset: 0, reason: "invalid boolean"},
	{name: "empty boolean", wire: "#\r\n", typ: '#', offset: 0, reason: "invalid boolean"},
	{name: "boolean word", wire: "#true\r\n", typ: '#', offset: 0, reason: "invalid boolean"},
	{name: "upper-case boolean", wire: "#T\r\n", typ: '#', offset: 0, reason: "invalid boolean"},
	{name: "big number with a letter", wire: "(12a\r\n", typ: '(', offset: 0, reason: "invalid big number"},
	{name: "empty big number", wire: "(\r\n", typ: '(', offset: 0, reason: "invalid big number"},
	{name: "big number sign alone", wire: "(-\r\n", typ: '(', offset: 0, reason: "invalid big number"},
	{name: "fractional big number", wire: "(1.5\r\n", typ: '(', offset: 0, reason: "invalid big number"},
	{name: "null with a payload", wire: "_x\r\n", typ: '_', offset: 0, reason: "after null"},
	{name: "verbatim string without format", wire: "=3\r\ntxt\r\n", typ: '=', offset: 0, reason: "3-byte format"},
	{name: "verbatim string without colon", wire: "=5\r\ntxt-x\r\n", typ: '=', offset: 0, reason: "3-byte format"},
}

func TestReadProtocolErrors(t *testing.T) {
	for _, tc := range protocolErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReaderLimits(strings.NewReader(tc.wire), tc.limits)
			v, err := r.ReadValue()
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, %v; want a *ProtocolError", v, err)
			}
			if pe.Type != tc.typ || pe.Offset != tc.offset || !strings.Contains(pe.Reason, tc.reason) {
				t.Fatalf("got Type %q, Offset %d, Reason %q; want %q, %d, containing %q",
					pe.Type, pe.Offset, pe.Reason, tc.typ, tc.offset, tc.reason)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%v also matches an EOF", err)
			}
		})
	}
}

func TestProtocolErrorMessage(t *testing.T) {
	withType := &ProtocolError{Type: '$', Offset: 12, Reason: "negative length -5"}
	if got, want := withType.Error(), `resp: protocol error at byte 12 in '$' value: negative length -5`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	without := &ProtocolError{Offset: 0, Reason: "line ends in LF without CR"}
	if got, want := without.Error(), "resp: protocol error at byte 0: line ends in LF without CR"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestProtocolErrorQuotesAtMost32Bytes(t *testing.T) {
	r := NewReader(strings.NewReader(":" + strings.Repeat("x", 1000) + "\r\n"))
	_, err := r.ReadValue()
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ProtocolError", err)
	}
	if len(pe.Reason) > 64 {
		t.Errorf("Reason is %d bytes long: %q", len(pe.Reason), pe.Reason)
	}
}

func TestReadAtTheLimits(t *testing.T) {
	limits := Limits{MaxBulkLen: 5, MaxAggregateLen: 2, MaxDepth: 2}
	for _, wire := range []string{
		"$5\r\nhello\r\n",
		"=5\r\ntxt:x\r\n",
		"!5\r\nERR x\r\n",
		"*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n",
		"%2\r\n+a\r\n%1\r\n+b\r\n:1\r\n+c\r\n:2\r\n", // the map limit counts pairs
		"|2\r\n+a\r\n:1\r\n+b\r\n:2\r\n~2\r\n_\r\n_\r\n",
		"$-1\r\n*-1\r\n", // nulls are within any limit
	} {
		r := NewReaderLimits(strings.NewReader(wire), limits)
		for {
			_, err := r.ReadValue()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%q: %v", wire, err)
				break
			}
		}
	}
}

func TestLimitsDefaults(t *testing.T) {
	got := Limits{}.withDefaults()
	want := Limits{MaxBulkLen: DefaultMaxBulkLen, MaxAggregateLen: DefaultMaxAggregateLen, MaxDepth: DefaultMaxDepth}
	if got != want {
		t.Errorf("Limits{}.withDefaults() = %+v, want %+v", got, want)
	}
	if got := (Limits{MaxBulkLen: -1, MaxAggregateLen: -1, MaxDepth: -1}).withDefaults(); got != want {
		t.Errorf("negative limits: %+v, want the defaults %+v", got, want)
	}
}
