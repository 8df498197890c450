package resp

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// The Append functions write commands the way clients send them: an array of
// bulk strings. Each appends to dst and returns the extended slice, so a
// caller that reuses its buffer encodes without allocating.

// AppendArrayHeader appends the header of an array of n elements (`*n\r\n`).
func AppendArrayHeader(dst []byte, n int) []byte {
	dst = append(dst, byte(TypeArray))
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends b as a bulk string.
func AppendBulk(dst, b []byte) []byte {
	dst = appendBulkHeader(dst, len(b))
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends s as a bulk string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = appendBulkHeader(dst, len(s))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBulkInt appends the decimal text of n as a bulk string.
func AppendBulkInt(dst []byte, n int64) []byte {
	var digits [20]byte
	return AppendBulk(dst, strconv.AppendInt(digits[:0], n, 10))
}

// AppendBulkUint appends the decimal text of n as a bulk string.
func AppendBulkUint(dst []byte, n uint64) []byte {
	var digits [20]byte
	return AppendBulk(dst, strconv.AppendUint(digits[:0], n, 10))
}

// AppendBulkFloat appends f as a bulk string in the shortest form that reads
// back to the same float64 ("inf" and "-inf" for the infinities, which Redis
// accepts as scores).
func AppendBulkFloat(dst []byte, f float64) []byte {
	var text [32]byte
	return AppendBulk(dst, appendDouble(text[:0], f))
}

// AppendBulkFloat32 appends f in the shortest form that reads back to the
// same float32 (so float32(0.1) is sent as "0.1").
func AppendBulkFloat32(dst []byte, f float32) []byte {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return AppendBulkFloat(dst, float64(f))
	}
	var text [32]byte
	return AppendBulk(dst, strconv.AppendFloat(text[:0], float64(f), 'g', -1, 32))
}

// typeName names arg's dynamic type for an error. reflect.TypeOf, unlike
// fmt's %T, does not make arg escape, so the encoder's callers do not pay
// an allocation per argument for an error path.
func typeName(arg any) string {
	if arg == nil {
		return "nil"
	}
	return reflect.TypeOf(arg).String()
}

// AppendBulkBool appends true as "1" and false as "0", as Redis expects.
func AppendBulkBool(dst []byte, b bool) []byte {
	if b {
		return AppendBulkString(dst, "1")
	}
	return AppendBulkString(dst, "0")
}

func appendBulkHeader(dst []byte, n int) []byte {
	dst = append(dst, byte(TypeBulkString))
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// ArgTypeError reports a command argument of a type the encoder does not
// accept. Arguments are never formatted with %v: an unexpected type is a
// bug in the caller, not something to guess at.
type ArgTypeError struct {
	Index int    // position of the argument in the command
	Type  string // its Go type, such as "map[string]int"
}

// Error names the argument's position and Go type.
func (e *ArgTypeError) Error() string {
	return fmt.Sprintf("resp: argument %d has unsupported type %s (use string, []byte, an integer, a float or a bool)", e.Index, e.Type)
}

// AppendArg appends one command argument as a bulk string. It accepts
// string, []byte, the signed and unsigned integer types, float32, float64
// and bool; any other type is an *ArgTypeError naming it (with Index 0).
func AppendArg(dst []byte, arg any) ([]byte, error) {
	switch a := arg.(type) {
	case string:
		return AppendBulkString(dst, a), nil
	case []byte:
		return AppendBulk(dst, a), nil
	case int:
		return AppendBulkInt(dst, int64(a)), nil
	case int64:
		return AppendBulkInt(dst, a), nil
	case int32:
		return AppendBulkInt(dst, int64(a)), nil
	case int16:
		return AppendBulkInt(dst, int64(a)), nil
	case int8:
		return AppendBulkInt(dst, int64(a)), nil
	case uint:
		return AppendBulkUint(dst, uint64(a)), nil
	case uint64:
		return AppendBulkUint(dst, a), nil
	case uint32:
		return AppendBulkUint(dst, uint64(a)), nil
	case uint16:
		return AppendBulkUint(dst, uint64(a)), nil
	case uint8:
		return AppendBulkUint(dst, uint64(a)), nil
	case float64:
		return AppendBulkFloat(dst, a), nil
	case float32:
		return AppendBulkFloat32(dst, a), nil
	case bool:
		return AppendBulkBool(dst, a), nil
	}
	return dst, &ArgTypeError{Type: typeName(arg)}
}

// AppendCommand appends a whole command, one bulk string per argument. On
// an unsupported argument it returns dst unchanged and an *ArgTypeError.
func AppendCommand(dst []byte, args ...any) ([]byte, error) {
	start := len(dst)
	dst = AppendArrayHeader(dst, len(args))
	for i, arg := range args {
		var err error
		if dst, err = AppendArg(dst, arg); err != nil {
			err.(*ArgTypeError).Index = i
			return dst[:start], err
		}
	}
	return dst, nil
}

// AppendCommandStrings appends a command whose arguments are all strings.
func AppendCommandStrings(dst []byte, args ...string) []byte {
	dst = AppendArrayHeader(dst, len(args))
	for _, arg := range args {
		dst = AppendBulkString(dst, arg)
	}
	return dst
}
