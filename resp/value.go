package resp

import (
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

// String names the type as the RESP3 specification does. The type of the
// zero Value, 0, is "empty (zero Value)".
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
	case 0:
		return "empty (zero Value)"
	}
	return "type " + strconv.QuoteRune(rune(t))
}

// Pair is one key/value entry of a RESP3 map or attribute, in wire order.
type Pair struct {
	Key   Value // the entry's key, of any type (usually a string)
	Value Value // the value the key maps to
}

// Value is one RESP reply, of any RESP2 or RESP3 type.
//
// A Value is immutable once built and safe to share between goroutines. The
// byte slices it returns (Bytes) and the slices of elements (Array) alias its
// storage: a Value read by a Reader owns fresh memory that nothing else
// writes, so they stay valid for as long as the caller keeps them.
//
// The accessors (Bytes, Text, Int64, Float64, Bool, Array, Strings, Map,
// StringMap) convert a Value to a Go type. Each one documents the RESP types
// it accepts, and all of them fail the same way:
//
//   - on a null (IsNull) they return ErrNull, unwrapped, and a zero result;
//   - on an error reply (simple or bulk error) they return the reply as an
//     *Error, as Err does;
//   - on any other type they do not accept, on the zero Value, and on a
//     string that does not parse as the number asked for, they return a
//     *TypeError naming the accessor, the Go type wanted and the RESP type
//     found (with the strconv error as its Cause for parse failures).
//
// The zero Value is not a reply: its Type is 0, IsNull reports false, Err
// returns nil and every accessor returns a *TypeError.
//
// String is not an accessor: it renders the Value for people (%v, test
// failures, logs); Text returns a string reply's text.
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
// TypeBulkString and a null array TypeArray; IsNull tells them apart. The
// zero Value reports 0.
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

// isError reports whether v is an error reply.
func (v Value) isError() bool { return v.typ == TypeSimpleError || v.typ == TypeBulkError }

// typeError is the *TypeError of accessor, converting to the Go type want,
// called on v.
func (v Value) typeError(accessor, want string, cause error) error {
	return &TypeError{Accessor: accessor, Want: want, Got: v.typ, Index: -1, Cause: cause}
}

// Bytes returns the payload of a string-like value: simple, bulk and
// verbatim strings (without the format prefix), big numbers (their digits),
// and integers and doubles in their decimal text (doubles as "inf", "-inf"
// and "nan" when not finite). It fails as described on Value.
//
// The slice aliases the value's storage and stays valid for as long as the
// caller keeps it; writing to it changes what other readers of the same
// Value see, so only the holder of the only copy of v may do so. Two cases
// return fresh memory instead: the common replies the Reader shares between
// values (OK, PONG, QUEUED), so that no caller can change what another
// value reads, and integers and doubles, whose text is formatted into a new
// slice.
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
	return nil, v.typeError("Bytes", "[]byte", nil)
}

// Text is Bytes returning a string (a copy): it accepts the same types and
// fails the same way.
func (v Value) Text() (string, error) {
	if s, ok := v.text(); ok {
		return s, nil
	}
	return "", v.failure("Text", "string", nil)
}

// text is Text without its error.
func (v Value) text() (string, bool) {
	if v.IsNull() {
		return "", false
	}
	switch v.typ {
	case TypeSimpleString, TypeBulkString, TypeVerbatim, TypeBigNumber:
		return string(v.str), true
	case TypeInteger:
		return strconv.FormatInt(v.num, 10), true
	case TypeDouble:
		return string(appendDouble(nil, v.float())), true
	}
	return "", false
}

// failure is what an accessor returns when v does not convert: ErrNull, the
// server error, or a *TypeError with the given cause.
func (v Value) failure(accessor, want string, cause error) error {
	switch {
	case v.IsNull():
		return ErrNull
	case v.isError():
		return v.Err()
	}
	return v.typeError(accessor, want, cause)
}

// Int64 returns an integer reply, a boolean as 0 or 1, or a simple string,
// bulk string or big number holding a decimal integer in the int64 range
// (RESP2 servers send numbers as bulk strings). A string that is not such
// an integer is a *TypeError whose Cause is a *strconv.NumError. It fails
// otherwise as described on Value.
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
			return 0, v.typeError("Int64", "int64", numberError(v.str, false))
		}
		return n, nil
	case TypeSimpleError, TypeBulkError:
		return 0, v.Err()
	}
	return 0, v.typeError("Int64", "int64", nil)
}

// Float64 returns a double reply, an integer, or a simple string, bulk
// string or big number holding a number, as RESP2 servers send scores:
// decimal or exponent notation, or "inf", "+inf", "-inf" and "nan" in any
// case. A string that is not such a number is a *TypeError whose Cause is a
// *strconv.NumError. It fails otherwise as described on Value.
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
			return 0, v.typeError("Float64", "float64", numberError(v.str, true))
		}
		return f, nil
	case TypeSimpleError, TypeBulkError:
		return 0, v.Err()
	}
	return 0, v.typeError("Float64", "float64", nil)
}

// Bool returns a RESP3 boolean, or an integer reply of 0 (false) or 1
// (true), as RESP2 commands such as SISMEMBER answer. Any other integer is
// a *TypeError, as are strings ("OK" included). It fails otherwise as
// described on Value.
func (v Value) Bool() (bool, error) {
	if v.IsNull() {
		return false, ErrNull
	}
	switch v.typ {
	case TypeBoolean:
		return v.num != 0, nil
	case TypeInteger:
		if v.num != 0 && v.num != 1 {
			return false, v.typeError("Bool", "bool", fmt.Errorf("%d is neither 0 nor 1", v.num))
		}
		return v.num == 1, nil
	case TypeSimpleError, TypeBulkError:
		return false, v.Err()
	}
	return false, v.typeError("Bool", "bool", nil)
}

// Array returns the elements of an array, set or push, or a map's keys and
// values interleaved (k0, v0, k1, v1, ...); an empty aggregate gives an
// empty, non-nil slice. The slice aliases the value's storage and must not
// be modified. It fails as described on Value; a null array is ErrNull.
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
	return nil, v.typeError("Array", "[]resp.Value", nil)
}

// Strings returns the elements of an array, set or push, each converted as
// Text converts it, in a new slice the caller owns; an empty aggregate
// gives an empty, non-nil slice. An element that does not convert (a null,
// an error reply, an aggregate) makes Strings fail with a *TypeError whose
// Index is its position: a null element is not turned into "", since that
// would lose the difference from an empty string. It fails otherwise as
// described on Value.
func (v Value) Strings() ([]string, error) {
	if v.IsNull() || v.isError() || (v.typ != TypeArray && v.typ != TypeSet && v.typ != TypePush) {
		return nil, v.failure("Strings", "[]string", nil)
	}
	out := make([]string, len(v.elems))
	for i, e := range v.elems {
		s, ok := e.text()
		if !ok {
			return nil, elemError("Strings", i, e)
		}
		out[i] = s
	}
	return out, nil
}

// elemError is the *TypeError of element i, e, of an aggregate that
// accessor could not convert to strings.
func elemError(accessor string, i int, e Value) error {
	return &TypeError{Accessor: accessor, Want: "string", Got: e.typ, Null: e.IsNull(), Index: i}
}

// Map returns a map's pairs in wire order. An array of even length is read
// as alternating keys and values, as RESP2 servers answer HGETALL; an array
// of odd length is a *TypeError. It fails otherwise as described on Value.
func (v Value) Map() ([]Pair, error) {
	if err := v.mapShape("Map", "[]resp.Pair"); err != nil {
		return nil, err
	}
	return pairs(v.elems), nil
}

// StringMap returns a map's keys and values, each converted as Text
// converts it, in a new map the caller owns. Like Map, it accepts a RESP3
// map or a RESP2 array of even length read as alternating keys and values
// (HGETALL, CONFIG GET); an array of odd length is a *TypeError. A key or
// value that does not convert (a null, an error reply, an aggregate) is a
// *TypeError whose Index is its position in the interleaved order of Array.
// When a key appears twice, the later value wins. It fails otherwise as
// described on Value.
func (v Value) StringMap() (map[string]string, error) {
	if err := v.mapShape("StringMap", "map[string]string"); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(v.elems)/2)
	for i := 0; i < len(v.elems); i += 2 {
		k, ok := v.elems[i].text()
		if !ok {
			return nil, elemError("StringMap", i, v.elems[i])
		}
		val, ok := v.elems[i+1].text()
		if !ok {
			return nil, elemError("StringMap", i+1, v.elems[i+1])
		}
		out[k] = val
	}
	return out, nil
}

// mapShape checks that v is a map or an array of even length, as Map and
// StringMap require.
func (v Value) mapShape(accessor, want string) error {
	switch {
	case v.IsNull() || v.isError():
		return v.failure(accessor, want, nil)
	case v.typ == TypeMap:
		return nil
	case v.typ == TypeArray && len(v.elems)%2 == 0:
		return nil
	case v.typ == TypeArray:
		return v.typeError(accessor, want, fmt.Errorf("odd number of elements (%d) for keys and values", len(v.elems)))
	}
	return v.typeError(accessor, want, nil)
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
