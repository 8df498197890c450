package resp

import "math"

// The constructors below build Values by hand: for fake servers, tests and
// AppendValue. Slices passed in are kept, not copied.

// SimpleString returns a simple string (`+OK`). s must not contain CR or LF.
func SimpleString(s string) Value { return Value{typ: TypeSimpleString, str: []byte(s)} }

// SimpleError returns a simple error (`-ERR ...`). msg must not contain CR or LF.
func SimpleError(msg string) Value { return Value{typ: TypeSimpleError, str: []byte(msg)} }

// BulkString returns a binary-safe bulk string.
func BulkString(b []byte) Value {
	if b == nil {
		b = []byte{}
	}
	return Value{typ: TypeBulkString, str: b}
}

// BulkError returns a RESP3 bulk error.
func BulkError(msg string) Value { return Value{typ: TypeBulkError, str: []byte(msg)} }

// Integer returns an integer.
func Integer(n int64) Value { return Value{typ: TypeInteger, num: n} }

// Double returns a RESP3 double.
func Double(f float64) Value { return Value{typ: TypeDouble, num: int64(math.Float64bits(f))} }

// Boolean returns a RESP3 boolean.
func Boolean(b bool) Value {
	v := Value{typ: TypeBoolean}
	if b {
		v.num = 1
	}
	return v
}

// BigNumber returns a RESP3 big number; digits is its decimal text with an
// optional leading sign.
func BigNumber(digits string) Value { return Value{typ: TypeBigNumber, str: []byte(digits)} }

// Verbatim returns a RESP3 verbatim string; format is three bytes ("txt").
func Verbatim(format string, text []byte) Value {
	v := Value{typ: TypeVerbatim, str: text}
	copy(v.format[:], format)
	return v
}

// Null returns the RESP3 null (`_`).
func Null() Value { return Value{typ: TypeNull} }

// NullBulkString returns the RESP2 null bulk string (`$-1`).
func NullBulkString() Value { return Value{typ: TypeBulkString, null: true} }

// NullArray returns the RESP2 null array (`*-1`).
func NullArray() Value { return Value{typ: TypeArray, null: true} }

// ArrayOf returns an array of the given elements.
func ArrayOf(elems ...Value) Value { return Value{typ: TypeArray, elems: nonNil(elems)} }

// SetOf returns a RESP3 set of the given elements.
func SetOf(elems ...Value) Value { return Value{typ: TypeSet, elems: nonNil(elems)} }

// PushOf returns a RESP3 push frame of the given elements.
func PushOf(elems ...Value) Value { return Value{typ: TypePush, elems: nonNil(elems)} }

// MapOf returns a RESP3 map of the given pairs, kept in order.
func MapOf(pairs ...Pair) Value { return Value{typ: TypeMap, elems: flatten(pairs)} }

func nonNil(elems []Value) []Value {
	if elems == nil {
		return []Value{}
	}
	return elems
}
