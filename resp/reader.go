package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
)

// Default limits of a Reader.
const (
	// DefaultMaxBulkLen matches Redis's own proto-max-bulk-len (512 MiB).
	DefaultMaxBulkLen = 512 << 20
	// DefaultMaxAggregateLen bounds the element count of one array, set,
	// push or map (counting pairs) at 2^25.
	DefaultMaxAggregateLen = 1 << 25
	// DefaultMaxDepth bounds how deeply aggregates may nest.
	DefaultMaxDepth = 32
	// DefaultBufferSize is the read buffer of a Reader.
	DefaultBufferSize = 32 << 10
)

// allocChunk bounds what the Reader allocates ahead of the bytes it has
// actually received: payloads and element slices larger than this grow as
// data arrives instead of being allocated at their claimed size.
const allocChunk = 64 << 10

// maxPreallocElems is allocChunk expressed in elements.
const maxPreallocElems = 1024

// minValueLen is the shortest encoding of a value ("_\r\n").
const minValueLen = 3

// Limits bound what a Reader accepts. A zero field means its default.
type Limits struct {
	MaxBulkLen      int64 // longest bulk string, bulk error or verbatim string, in bytes
	MaxAggregateLen int64 // most elements in one aggregate (pairs for a map)
	MaxDepth        int   // deepest nesting of aggregates; a top-level array is depth 1
}

func (l Limits) withDefaults() Limits {
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxAggregateLen <= 0 {
		l.MaxAggregateLen = DefaultMaxAggregateLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	// Lengths become ints and grow by the CRLF (blobs) or double (maps):
	// cap the limits so that arithmetic cannot overflow, whatever was asked
	// for (TestHugeLimitsDoNotOverflow).
	l.MaxBulkLen = min(l.MaxBulkLen, math.MaxInt-2)
	l.MaxAggregateLen = min(l.MaxAggregateLen, math.MaxInt/2)
	return l
}

// Reader reads RESP2 and RESP3 values from a byte stream.
//
// It never panics on any input, and it allocates in proportion to the bytes
// it has received, never to a length the stream claims: a header that claims
// a 2 GiB string costs at most a 64 KiB buffer until the bytes arrive.
// Invalid input and broken limits are reported as *ProtocolError; errors of
// the underlying reader are returned unchanged (io.ErrUnexpectedEOF when the
// stream ends inside a value).
//
// Streamed strings and aggregates (`$?`, `*?`, `;`, `.`), which Redis never
// sends, are not supported: they are rejected with a *ProtocolError.
//
// A Reader is not safe for concurrent use: one goroutine reads at a time.
type Reader struct {
	br      *bufio.Reader
	limits  Limits
	offset  int64  // bytes consumed so far
	longBuf []byte // scratch for lines longer than the buffer
}

// NewReader returns a Reader with the default limits and buffer size.
func NewReader(r io.Reader) *Reader {
	return NewReaderLimits(r, Limits{})
}

// NewReaderLimits returns a Reader with the given limits; zero fields take
// their defaults.
func NewReaderLimits(r io.Reader, limits Limits) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, DefaultBufferSize), limits: limits.withDefaults()}
}

// Offset returns how many bytes the Reader has consumed.
func (r *Reader) Offset() int64 { return r.offset }

// Buffered returns how many received bytes wait in the read buffer.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Await blocks until at least one byte of the next value has arrived, and
// consumes nothing. An error from the underlying reader (a deadline, say)
// leaves the stream intact: a later ReadValue starts at the same place.
func (r *Reader) Await() error {
	_, err := r.br.Peek(1)
	return err
}

// ReadValue reads one complete value. Attributes are attached to the value
// that follows them and never returned on their own.
func (r *Reader) ReadValue() (Value, error) {
	return r.readValue(0)
}

func (r *Reader) readValue(depth int) (Value, error) {
	// Attributes are gathered by this loop rather than by recursion: a
	// value may follow any number of attribute maps, and recursing once
	// per map let a stream of "|0\r\n" grow the stack without bound
	// (TestAttributeChainDoesNotGrowStack).
	var attrs []Value
	for {
		start := r.offset
		line, err := r.readLine()
		if err != nil {
			if attrs != nil {
				err = noEOF(err) // attributes announced a value that never came
			}
			return Value{}, err
		}
		if len(line) == 0 {
			return Value{}, r.errAt(start, 0, "empty line where a type byte was expected")
		}
		typ, body := Type(line[0]), line[1:]
		if typ != typeAttribute {
			v, err := r.readTyped(start, typ, body, depth)
			if err != nil {
				return Value{}, err
			}
			v.attrs = attrs
			return v, nil
		}
		more, err := r.readAggregate(start, typeAttribute, body, depth)
		if err != nil {
			return Value{}, err
		}
		if attrs == nil {
			attrs = more.elems // never nil, even for "|0": present but empty
		} else {
			attrs = append(attrs, more.elems...)
		}
	}
}

// readTyped reads the rest of a value whose first line, the type byte typ
// and the rest of the line body, has been read.
func (r *Reader) readTyped(start int64, typ Type, body []byte, depth int) (Value, error) {
	switch typ {
	case TypeSimpleString, TypeSimpleError:
		return Value{typ: typ, str: internSimple(body)}, nil
	case TypeInteger:
		return r.readInteger(start, body)
	case TypeNull:
		return r.readNull(start, body)
	case TypeBoolean:
		return r.readBoolean(start, body)
	case TypeDouble:
		return r.readDouble(start, body)
	case TypeBigNumber:
		if !isBigNumber(body) {
			return Value{}, r.errAt(start, typ, fmt.Sprintf("invalid big number %q", clip(body)))
		}
		return Value{typ: typ, str: clone(body)}, nil
	case TypeBulkString, TypeBulkError, TypeVerbatim:
		return r.readBlob(start, typ, body)
	case TypeArray, TypeSet, TypePush, TypeMap:
		return r.readAggregate(start, typ, body, depth)
	}
	return Value{}, r.errAt(start, 0, fmt.Sprintf("unknown type byte %q", byte(typ)))
}

func (r *Reader) readInteger(start int64, body []byte) (Value, error) {
	n, ok := parseInt(body)
	if !ok {
		return Value{}, r.errAt(start, TypeInteger, fmt.Sprintf("invalid integer %q", clip(body)))
	}
	return Value{typ: TypeInteger, num: n}, nil
}

func (r *Reader) readNull(start int64, body []byte) (Value, error) {
	if len(body) != 0 {
		return Value{}, r.errAt(start, TypeNull, fmt.Sprintf("unexpected %q after null", clip(body)))
	}
	return Value{typ: TypeNull}, nil
}

func (r *Reader) readBoolean(start int64, body []byte) (Value, error) {
	switch string(body) {
	case "t":
		return Boolean(true), nil
	case "f":
		return Boolean(false), nil
	}
	return Value{}, r.errAt(start, TypeBoolean, fmt.Sprintf("invalid boolean %q", clip(body)))
}

func (r *Reader) readDouble(start int64, body []byte) (Value, error) {
	f, ok := parseDouble(body)
	if !ok {
		return Value{}, r.errAt(start, TypeDouble, fmt.Sprintf("invalid double %q", clip(body)))
	}
	return Double(f), nil
}

// readBlob reads the payload of a bulk string, bulk error or verbatim string.
func (r *Reader) readBlob(start int64, typ Type, header []byte) (Value, error) {
	n, err := r.length(start, typ, header, r.limits.MaxBulkLen)
	if err != nil {
		return Value{}, err
	}
	if n == -1 {
		if typ != TypeBulkString {
			return Value{}, r.errAt(start, typ, "null length -1 is only valid for bulk strings")
		}
		return NullBulkString(), nil
	}
	payload, err := r.readPayload(int(n))
	if err != nil {
		return Value{}, err
	}
	v := Value{typ: typ, str: payload}
	if typ == TypeVerbatim {
		if len(payload) < 4 || payload[3] != ':' {
			return Value{}, r.errAt(start, typ, "verbatim string without a 3-byte format and ':'")
		}
		copy(v.format[:], payload[:3])
		v.str = payload[4:]
	}
	return v, nil
}

// readAggregate reads the elements of an array, set, push or map.
func (r *Reader) readAggregate(start int64, typ Type, header []byte, depth int) (Value, error) {
	n, err := r.length(start, typ, header, r.limits.MaxAggregateLen)
	if err != nil {
		return Value{}, err
	}
	if n == -1 {
		if typ != TypeArray {
			return Value{}, r.errAt(start, typ, "null length -1 is only valid for arrays and bulk strings")
		}
		return NullArray(), nil
	}
	if depth >= r.limits.MaxDepth {
		return Value{}, r.errAt(start, typ, fmt.Sprintf("nesting deeper than the limit of %d", r.limits.MaxDepth))
	}
	count := int(n)
	if typ == TypeMap || typ == typeAttribute {
		count *= 2
	}
	elems, err := r.readElems(count, depth+1)
	if err != nil {
		return Value{}, err
	}
	return Value{typ: typ, elems: elems}, nil
}

// readElems reads count values, growing the slice as they arrive rather than
// trusting count for the allocation.
func (r *Reader) readElems(count, depth int) ([]Value, error) {
	// Preallocate no more elements than the bytes already received could
	// hold (each takes at least minValueLen bytes): trusting count alone let
	// a chain of nested "*1024" headers, 7 bytes each, allocate 88 KiB per
	// level (TestNestedHeadersAllocateByBytesReceived).
	elems := make([]Value, 0, min(count, maxPreallocElems, r.br.Buffered()/minValueLen))
	for range count {
		v, err := r.readValue(depth)
		if err != nil {
			// The header promised more elements: the end of the stream
			// here is inside a value (TestEOFInsideAggregateIsUnexpected).
			return nil, noEOF(err)
		}
		elems = append(elems, v)
	}
	return elems, nil
}

// length parses the length in an aggregate or blob header and checks it
// against limit. It returns -1 for a null; the caller decides whether null
// is allowed for its type.
func (r *Reader) length(start int64, typ Type, header []byte, limit int64) (int64, error) {
	if string(header) == "?" {
		return 0, r.errAt(start, typ, "streamed strings and aggregates are not supported")
	}
	n, ok := parseInt(header)
	switch {
	case !ok:
		return 0, r.errAt(start, typ, fmt.Sprintf("invalid length %q", clip(header)))
	case n < -1:
		return 0, r.errAt(start, typ, fmt.Sprintf("negative length %d", n))
	case n > limit:
		return 0, r.errAt(start, typ, fmt.Sprintf("length %d over the limit of %d", n, limit))
	}
	return n, nil
}

// readPayload reads n bytes and the CRLF after them. Up to allocChunk it
// allocates once; beyond that the buffer grows only as bytes arrive.
func (r *Reader) readPayload(n int) ([]byte, error) {
	var buf []byte
	if n <= allocChunk {
		buf = make([]byte, n+2)
		if err := r.readFull(buf); err != nil {
			return nil, err
		}
	} else {
		var err error
		if buf, err = r.readGrowing(n + 2); err != nil {
			return nil, err
		}
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return nil, r.errAt(r.offset-2, 0, "payload not followed by CRLF")
	}
	return buf[:n:n], nil
}

// readGrowing reads exactly total bytes into a buffer that at most doubles
// per step, so memory tracks the bytes actually received.
func (r *Reader) readGrowing(total int) ([]byte, error) {
	buf := make([]byte, 0, allocChunk)
	for len(buf) < total {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), len(buf)+min(cap(buf), total-len(buf)))
			copy(grown, buf)
			buf = grown
		}
		next := min(cap(buf), total)
		if err := r.readFull(buf[len(buf):next]); err != nil {
			return nil, err
		}
		buf = buf[:next]
	}
	return buf, nil
}

func (r *Reader) readFull(buf []byte) error {
	n, err := io.ReadFull(r.br, buf)
	r.offset += int64(n)
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine returns the next line without its CRLF. The slice is valid only
// until the next read.
func (r *Reader) readLine() ([]byte, error) {
	start := r.offset
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line, err = r.readLongLine(line)
	}
	r.offset += int64(len(line))
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, r.errAt(start, 0, "line ends in LF without CR")
	}
	return line[:len(line)-2], nil
}

// readLongLine gathers a line that overflows the read buffer, up to the bulk
// length limit.
func (r *Reader) readLongLine(first []byte) ([]byte, error) {
	r.longBuf = append(r.longBuf[:0], first...)
	for {
		more, err := r.br.ReadSlice('\n')
		r.longBuf = append(r.longBuf, more...)
		if int64(len(r.longBuf)) > r.limits.MaxBulkLen {
			return nil, r.errAt(r.offset, 0, "line longer than the bulk length limit")
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return r.longBuf, err
		}
	}
}

// noEOF reports the end of the stream inside a value as io.ErrUnexpectedEOF;
// io.EOF means only that the stream ended cleanly between values.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *Reader) errAt(offset int64, typ Type, reason string) *ProtocolError {
	return &ProtocolError{Type: byte(typ), Offset: offset, Reason: reason}
}

// Common simple strings share one backing array instead of being allocated
// per reply. Value.Bytes hands out copies of them (isInterned), so the
// shared arrays are never reachable as mutable memory.
var (
	simpleOK     = []byte("OK")
	simplePONG   = []byte("PONG")
	simpleQUEUED = []byte("QUEUED")
)

func internSimple(b []byte) []byte {
	switch string(b) {
	case "OK":
		return simpleOK[:2:2]
	case "PONG":
		return simplePONG[:4:4]
	case "QUEUED":
		return simpleQUEUED[:6:6]
	}
	return clone(b)
}

// isInterned reports whether b is one of the shared simple strings.
func isInterned(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch &b[0] {
	case &simpleOK[0], &simplePONG[0], &simpleQUEUED[0]:
		return true
	}
	return false
}

func clone(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

// clip shortens input quoted in error messages.
func clip(b []byte) []byte {
	const max = 32
	if len(b) > max {
		return b[:max]
	}
	return b
}
