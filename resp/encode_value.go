package resp

import "strconv"

// AppendValue appends v in its own RESP2/RESP3 wire form, attributes first.
// It is what a server writes; fake servers in tests use it, and reading the
// result back with a Reader yields a Value equal to v.
func AppendValue(dst []byte, v Value) []byte {
	if v.attrs != nil {
		dst = appendHeader(dst, typeAttribute, len(v.attrs)/2)
		dst = appendValues(dst, v.attrs)
	}
	switch {
	case v.typ == TypeBulkString && v.null:
		return append(dst, "$-1\r\n"...)
	case v.typ == TypeArray && v.null:
		return append(dst, "*-1\r\n"...)
	}
	switch v.typ {
	case TypeSimpleString, TypeSimpleError, TypeBigNumber:
		return appendLine(dst, v.typ, v.str)
	case TypeInteger:
		return appendLine(dst, v.typ, strconv.AppendInt(nil, v.num, 10))
	case TypeNull:
		return append(dst, "_\r\n"...)
	case TypeBoolean:
		if v.num != 0 {
			return append(dst, "#t\r\n"...)
		}
		return append(dst, "#f\r\n"...)
	case TypeDouble:
		return appendLine(dst, v.typ, appendDouble(nil, v.float()))
	case TypeBulkString, TypeBulkError:
		return appendBlob(dst, v.typ, nil, v.str)
	case TypeVerbatim:
		return appendBlob(dst, v.typ, v.format[:], v.str)
	case TypeMap:
		return appendValues(appendHeader(dst, v.typ, len(v.elems)/2), v.elems)
	case TypeArray, TypeSet, TypePush:
		return appendValues(appendHeader(dst, v.typ, len(v.elems)), v.elems)
	}
	return dst
}

func appendLine(dst []byte, typ Type, body []byte) []byte {
	dst = append(dst, byte(typ))
	dst = append(dst, body...)
	return append(dst, '\r', '\n')
}

func appendHeader(dst []byte, typ Type, n int) []byte {
	return appendLine(dst, typ, strconv.AppendInt(nil, int64(n), 10))
}

func appendBlob(dst []byte, typ Type, format, payload []byte) []byte {
	n := len(payload)
	if format != nil {
		n += len(format) + 1
	}
	dst = appendHeader(dst, typ, n)
	if format != nil {
		dst = append(append(dst, format...), ':')
	}
	dst = append(dst, payload...)
	return append(dst, '\r', '\n')
}

func appendValues(dst []byte, vals []Value) []byte {
	for _, v := range vals {
		dst = AppendValue(dst, v)
	}
	return dst
}
