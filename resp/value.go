package resp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Type is the RESP type of a Value, named by its wire prefix byte.
type Type byte

// The RESP2 and RESP3 types a Value can hold.
const (
	TypeSimpleString Type = '+'
	TypeSimpleError  Type = '-'
	TypeInteger      Type = ':'
	TypeBulkString   Type = '$'
	TypeArray        Type = '*'
	TypeNull         Type = '_'
	TypeBoolean      Type = '#'
	TypeDouble       Type = ','
	TypeBigNumber    Type = '('
	TypeBulkError    Type = '!'
	TypeVerbatim     Type = '='
	TypeMap          Type = '%'
	TypeSet          Type = '~'
	TypePush         Type = '>'

	// typeAttribute prefixes attributes; the Reader attaches them to the
	// value that follows, so no Value ever has this type.
	typeAttribute Type = '|'
)

// String names the type as the RESP3 specification does.
func (t Type) String() string {
	switch t {
	case TypeSimpleString:
		return "simple string"
	case TypeSimpleError:
		return "simple error"
	case TypeInteger:
		return "integer"
	case TypeBulkString:
		return "bulk string"
	case TypeArray:
		return "array"
	case TypeNull:
		return "null"
	case TypeBoolean:
		return "boolean"
	case TypeDouble:
		return "double"
	case TypeBigNumber:
		return "big number"
	case TypeBulkError:
		return "bulk error"
	case TypeVerbatim:
		return "verbatim string"
	case TypeMap:
		return "map"
	case TypeSet:
		return "set"
	case TypePush:
		return "push"
	case typeAttribute:
		return "attribute"
	}
	return "type " + strconv.QuoteRune(rune(t))
}

// ErrNull is returned by accessors called on a null value (RESP2 `$-1` or
// `*-1`, RESP3 `_`). Check IsNull first when null is an expected answer.
var ErrNull = errors.New("resp: value is null")

// TypeError reports an accessor called on a value of a type it cannot
// convert, such as Int64 on an array.
type TypeError struct {
	Accessor string // "Bytes", "Int64", ...
	Got      Type
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("resp: %s called on a value of type %s", e.Accessor, e.Got)
}

// Pair is one key/value entry of a RESP3 map or attribute, in wire order.
type Pair struct {
	Key   Value
	Value Value
}

// Value is one RESP reply, of any RESP2 or RESP3 type.
//
// A Value is immutable once built and safe to share between goroutines. The
// byte slices it returns (Bytes) and the slices of elements (Array) alias its
// storage: a Value read by a Reader owns fresh memory that nothing else
// writes, so they stay valid for as long as the caller keeps them.
type Value struct {
	typ    Type
	null   bool    // RESP2 null bulk string or null array
	format [3]byte // verbatim string format, e.g. "txt"
	str    []byte  // string payload, error text, big number digits
	num    int64   // integer, boolean (0 or 1), or double bits
	elems  []Value // array, set and push elements; maps as k0, v0, k1, v1, ...
	attrs  []Value // attributes, flattened like maps; nil when none
}

// Type returns the value's RESP type. A RESP2 null bulk string reports
// TypeBulkString and a null array TypeArray; IsNull tells them apart.
func (v Value) Type() Type { return v.typ }

// IsNull reports whether v is a null: RESP3 `_`, or RESP2 `$-1` or `*-1`.
func (v Value) IsNull() bool { return v.typ == TypeNull || v.null }

// Err returns the server error carried by a simple or bulk error reply as a
// *Error, and nil for every other type.
func (v Value) Err() error {
	if v.typ != TypeSimpleError && v.typ != TypeBulkError {
		return nil
	}
	return newError(string(v.str))
}

// Bytes returns the payload of a string-like value: simple, bulk and
// verbatim strings (without the format prefix), big numbers (their digits),
// and integers and doubles in their decimal text. An error reply returns its
// *Error, a null returns ErrNull. The slice aliases the value's storage,
// except for the common replies the Reader shares between values (OK, PONG,
// QUEUED), which are returned as fresh copies: no caller can change what
// another one reads.
func (v Value) Bytes() ([]byte, error) {
	if v.IsNull() {
		return nil, ErrNull
	}
	switch v.typ {
	case TypeSimpleString, TypeBulkString, TypeVerbatim, TypeBigNumber:
		if isInterned(v.str) {
			return clone(v.str), nil
		}
		return v.str, nil
	case TypeInteger:
		return strconv.AppendInt(nil, v.num, 10), nil
	case TypeDouble:
		return appendDouble(nil, v.float()), nil
	case TypeSimpleError, TypeBulkError:
		return nil, v.Err()
	}
	return nil, &TypeError{Accessor: "Bytes", Got: v.typ}
}

// String is Bytes returning a string.
func (v Value) String() (string, error) {
	b, err := v.Bytes()
	return string(b), err
}

// Int64 returns an integer reply, a boolean as 0 or 1, or a string-like
// value holding a decimal integer (RESP2 servers send numbers as bulk
// strings).
func (v Value) Int64() (int64, error) {
	if v.IsNull() {
		return 0, ErrNull
	}
	switch v.typ {
	case TypeInteger, TypeBoolean:
		return v.num, nil
	case TypeSimpleString, TypeBulkString, TypeBigNumber:
		n, ok := parseInt(v.str)
		if !ok {
			return 0, fmt.Errorf("resp: Int64: %q is not an integer", v.str)
		}
		return n, nil
	case TypeSimpleError, TypeBulkError:
		return 0, v.Err()
	}
	return 0, &TypeError{Accessor: "Int64", Got: v.typ}
}

// Float64 returns a double reply, an integer, or a string-like value holding
// a number (as RESP2 servers send scores).
func (v Value) Float64() (float64, error) {
	if v.IsNull() {
		return 0, ErrNull
	}
	switch v.typ {
	case TypeDouble:
		return v.float(), nil
	case TypeInteger:
		return float64(v.num), nil
	case TypeSimpleString, TypeBulkString, TypeBigNumber:
		f, ok := parseDouble(v.str)
		if !ok {
			return 0, fmt.Errorf("resp: Float64: %q is not a number", v.str)
		}
		return f, nil
	case TypeSimpleError, TypeBulkError:
		return 0, v.Err()
	}
	return 0, &TypeError{Accessor: "Float64", Got: v.typ}
}

// Bool returns a boolean reply, or an integer reply as true when it is not
// zero (RESP2 commands such as EXPIRE answer 1 or 0).
func (v Value) Bool() (bool, error) {
	if v.IsNull() {
		return false, ErrNull
	}
	switch v.typ {
	case TypeBoolean, TypeInteger:
		return v.num != 0, nil
	case TypeSimpleError, TypeBulkError:
		return false, v.Err()
	}
	return false, &TypeError{Accessor: "Bool", Got: v.typ}
}

// Array returns the elements of an array, set or push, or a map's keys and
// values interleaved (k0, v0, k1, v1, ...). The slice aliases the value's
// storage and must not be modified.
func (v Value) Array() ([]Value, error) {
	if v.IsNull() {
		return nil, ErrNull
	}
	switch v.typ {
	case TypeArray, TypeSet, TypePush, TypeMap:
		return v.elems, nil
	case TypeSimpleError, TypeBulkError:
		return nil, v.Err()
	}
	return nil, &TypeError{Accessor: "Array", Got: v.typ}
}

// Map returns a map's pairs in wire order. An array of even length is read
// as alternating keys and values, as RESP2 servers answer HGETALL.
func (v Value) Map() ([]Pair, error) {
	if v.IsNull() {
		return nil, ErrNull
	}
	switch {
	case v.typ == TypeMap, v.typ == TypeArray && len(v.elems)%2 == 0:
		return pairs(v.elems), nil
	case v.typ == TypeSimpleError, v.typ == TypeBulkError:
		return nil, v.Err()
	}
	return nil, &TypeError{Accessor: "Map", Got: v.typ}
}

// Len returns the number of elements of an aggregate (pairs for a map) and
// the payload length of a string-like value.
func (v Value) Len() int {
	if v.typ == TypeMap {
		return len(v.elems) / 2
	}
	if v.elems != nil || v.typ == TypeArray || v.typ == TypeSet || v.typ == TypePush {
		return len(v.elems)
	}
	return len(v.str)
}

// VerbatimFormat returns the three-letter format of a verbatim string
// ("txt", "mkd"), or "" for other types.
func (v Value) VerbatimFormat() string {
	if v.typ != TypeVerbatim {
		return ""
	}
	return string(v.format[:])
}

// Attributes returns the RESP3 attributes the server sent just before this
// value, in wire order, or nil.
func (v Value) Attributes() []Pair {
	if v.attrs == nil {
		return nil
	}
	return pairs(v.attrs)
}

// WithAttributes returns a copy of v carrying the given attributes.
func (v Value) WithAttributes(attrs ...Pair) Value {
	v.attrs = flatten(attrs)
	return v
}

func (v Value) float() float64 { return math.Float64frombits(uint64(v.num)) }

func pairs(flat []Value) []Pair {
	out := make([]Pair, len(flat)/2)
	for i := range out {
		out[i] = Pair{Key: flat[2*i], Value: flat[2*i+1]}
	}
	return out
}

func flatten(ps []Pair) []Value {
	out := make([]Value, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p.Key, p.Value)
	}
	return out
}
