package resp

import (
	"strconv"
	"unicode/utf8"
)

// Bounds of String's output: it stays readable, and costs little, whatever
// the size of the value.
const (
	debugMaxBytes  = 64  // string payload shown before "…(N bytes)"
	debugMaxError  = 256 // error message shown before "…(N bytes)"
	debugMaxElems  = 16  // elements (pairs for maps) shown per aggregate
	debugMaxValues = 128 // values shown in all, nesting included
)

// String renders v for people: for %v, fmt.Println, logs and test
// failures. The form is for reading, not parsing, and may change; Text is
// the accessor that returns a string reply's text. It is, by type:
//
//	simple or bulk string  "PONG" (quoted as by strconv.Quote; past 64 bytes
//	                       cut, as "abc"…(4096 bytes))
//	verbatim string        (verbatim txt) "Some text"
//	integer                (integer) 42
//	double                 (double) 1.5, (double) inf, (double) nan
//	big number             (big number) 3492890328409238509324850943850943825024385
//	boolean                (true), (false)
//	null (RESP2 or RESP3)  (nil)
//	simple or bulk error   (error) ERR unknown command (quoted when it holds
//	                       control characters or invalid UTF-8)
//	array                  ["a", (integer) 1, [(nil)]]
//	set                    ~["a", "b"]
//	push                   >["message", "channel", "hello"]
//	map                    {"field": "value", "n": (integer) 1}
//	attributes             |{"ttl": (integer) 60} followed by the value
//	zero Value             (zero Value)
//
// An aggregate shows at most 16 elements (pairs for a map), then "… N
// more"; a whole rendering shows at most 128 values, however deep the
// nesting, so that printing a huge reply stays cheap.
func (v Value) String() string {
	p := printer{budget: debugMaxValues}
	p.value(v)
	return string(p.buf)
}

// printer accumulates String's output.
type printer struct {
	buf    []byte
	budget int // values that may still be shown
}

func (p *printer) value(v Value) {
	p.budget--
	if v.attrs != nil {
		p.buf = append(p.buf, '|')
		p.pairs(v.attrs)
		p.buf = append(p.buf, ' ')
	}
	if v.IsNull() {
		p.buf = append(p.buf, "(nil)"...)
		return
	}
	switch v.typ {
	case TypeSimpleString, TypeBulkString:
		p.quoted(v.str, debugMaxBytes)
	case TypeVerbatim:
		p.buf = append(p.buf, "(verbatim "...)
		p.buf = append(p.buf, v.format[:]...)
		p.buf = append(p.buf, ") "...)
		p.quoted(v.str, debugMaxBytes)
	case TypeInteger:
		p.buf = strconv.AppendInt(append(p.buf, "(integer) "...), v.num, 10)
	case TypeDouble:
		p.buf = appendDouble(append(p.buf, "(double) "...), v.float())
	case TypeBigNumber:
		p.buf = append(p.buf, "(big number) "...)
		p.raw(v.str, debugMaxBytes)
	case TypeBoolean:
		if v.num != 0 {
			p.buf = append(p.buf, "(true)"...)
		} else {
			p.buf = append(p.buf, "(false)"...)
		}
	case TypeSimpleError, TypeBulkError:
		p.buf = append(p.buf, "(error) "...)
		if plain(v.str) {
			p.raw(v.str, debugMaxError)
		} else {
			p.quoted(v.str, debugMaxError)
		}
	case TypeArray:
		p.list('[', v.elems)
	case TypeSet:
		p.list('~', v.elems)
	case TypePush:
		p.list('>', v.elems)
	case TypeMap:
		p.pairs(v.elems)
	case 0:
		p.buf = append(p.buf, "(zero Value)"...)
	default:
		p.buf = append(p.buf, '(')
		p.buf = append(p.buf, v.typ.String()...)
		p.buf = append(p.buf, ')')
	}
}

// list writes elems as [e0, e1, ...], after prefix unless it is '['.
func (p *printer) list(prefix byte, elems []Value) {
	if prefix != '[' {
		p.buf = append(p.buf, prefix)
	}
	p.buf = append(p.buf, '[')
	for i, e := range elems {
		if i > 0 {
			p.buf = append(p.buf, ", "...)
		}
		if i == debugMaxElems || p.budget <= 0 {
			p.more(len(elems) - i)
			break
		}
		p.value(e)
	}
	p.buf = append(p.buf, ']')
}

// pairs writes flat, keys and values interleaved, as {k0: v0, k1: v1, ...}.
func (p *printer) pairs(flat []Value) {
	p.buf = append(p.buf, '{')
	for i := 0; i+1 < len(flat); i += 2 {
		if i > 0 {
			p.buf = append(p.buf, ", "...)
		}
		if i == 2*debugMaxElems || p.budget <= 0 {
			p.more((len(flat) - i) / 2)
			break
		}
		p.value(flat[i])
		p.buf = append(p.buf, ": "...)
		p.value(flat[i+1])
	}
	p.buf = append(p.buf, '}')
}

func (p *printer) more(n int) {
	p.buf = append(p.buf, "… "...)
	p.buf = strconv.AppendInt(p.buf, int64(n), 10)
	p.buf = append(p.buf, " more"...)
}

// quoted writes b quoted, cut after max bytes.
func (p *printer) quoted(b []byte, max int) {
	head := cut(b, max)
	p.buf = strconv.AppendQuote(p.buf, string(head))
	p.cutMarker(b, head)
}

// raw writes b as it is, cut after max bytes.
func (p *printer) raw(b []byte, max int) {
	head := cut(b, max)
	p.buf = append(p.buf, head...)
	p.cutMarker(b, head)
}

// cutMarker writes "…(N bytes)" when head is shorter than b.
func (p *printer) cutMarker(b, head []byte) {
	if len(head) == len(b) {
		return
	}
	p.buf = append(p.buf, "…("...)
	p.buf = strconv.AppendInt(p.buf, int64(len(b)), 10)
	p.buf = append(p.buf, " bytes)"...)
}

// cut returns at most the first max bytes of b, not splitting a UTF-8
// sequence when it can help it.
func cut(b []byte, max int) []byte {
	if len(b) <= max {
		return b
	}
	n := max
	for i := 0; i < utf8.UTFMax && n > 0 && !utf8.RuneStart(b[n]); i++ {
		n--
	}
	if !utf8.RuneStart(b[n]) {
		n = max // not UTF-8 anyway
	}
	return b[:n]
}

// plain reports whether b is valid UTF-8 without control characters, so
// that it can be shown unquoted.
func plain(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 || r < ' ' || r == 0x7f {
			return false
		}
		b = b[size:]
	}
	return true
}
