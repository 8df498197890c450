package resp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error is an error reply sent by the server (`-ERR ...` or a RESP3 bulk
// error). It means the command failed; the connection is still in sync.
type Error struct {
	// Prefix is the first word of the message when it is an upper-case
	// error code, such as "ERR", "WRONGTYPE", "MOVED" or "NOSCRIPT";
	// otherwise "".
	Prefix string
	// Message is the whole text the server sent.
	Message string
}

func newError(msg string) *Error {
	return &Error{Prefix: errorPrefix(msg), Message: msg}
}

// Error returns the server's message unchanged.
func (e *Error) Error() string { return e.Message }

func errorPrefix(msg string) string {
	word, _, _ := strings.Cut(msg, " ")
	if word == "" {
		return ""
	}
	for i := 0; i < len(word); i++ {
		c := word[i]
		if (c < 'A' || c > 'Z') && c != '_' && (c < '0' || c > '9') {
			return ""
		}
	}
	return word
}

// ProtocolError reports bytes that are not valid RESP, or that break one of
// the Reader's limits. After a ProtocolError the stream cannot be trusted
// and the connection must be closed.
type ProtocolError struct {
	// Type is the type byte of the value being read when the problem was
	// found (0 when it was found before a type byte was read).
	Type byte
	// Offset is the position in the stream, in bytes from the start of
	// the Reader, where the problem was found.
	Offset int64
	// Reason says what was wrong.
	Reason string
}

// Error describes the problem and where in the stream it was found.
func (e *ProtocolError) Error() string {
	if e.Type == 0 {
		return fmt.Sprintf("resp: protocol error at byte %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("resp: protocol error at byte %d in %q value: %s", e.Offset, e.Type, e.Reason)
}

// ErrNull is returned by every Value accessor called on a null: RESP2 `$-1`
// or `*-1`, or RESP3 `_`. It is returned as is, not wrapped; check IsNull
// first when null is an expected answer.
var ErrNull = errors.New("resp: value is null")

// TypeError reports a Value accessor that could not convert what it found:
// a value of a type it does not accept (Int64 on an array), a string that
// does not parse (Int64 on "abc"), a number out of range, or, for Strings
// and StringMap, one element that does not convert. All accessors report
// these failures as a *TypeError; nulls are ErrNull and error replies
// their *Error instead.
type TypeError struct {
	// Accessor is the method called: "Bytes", "Int64", "StringMap", ...
	Accessor string
	// Want is the Go type the value was to become: "int64", "[]string",
	// ... For an element (Index >= 0) it is the element's Go type.
	Want string
	// Got is the RESP type found: that of the value, or of the element
	// when Index >= 0. It is 0 for the zero Value.
	Got Type
	// Null reports that what was found is a null (an element of an
	// aggregate; a null value itself is ErrNull).
	Null bool
	// Index is the position of the element that failed, in the order
	// Array returns them (keys and values interleaved for maps), or -1
	// when the value itself failed.
	Index int
	// Cause says why a value of an accepted type did not convert, or is
	// nil. Unparseable or out-of-range numbers are a *strconv.NumError
	// (errors.Is(err, strconv.ErrSyntax) or strconv.ErrRange hold), with
	// long input clipped.
	Cause error
}

// Error describes the failure, as in
// `resp: Int64: cannot convert bulk string to int64: strconv.ParseInt: parsing "abc": invalid syntax`.
func (e *TypeError) Error() string {
	msg := "resp: " + e.Accessor + ": "
	if e.Index >= 0 {
		msg += "element " + strconv.Itoa(e.Index) + ": "
	}
	msg += "cannot convert " + describe(e.Got, e.Null) + " to " + e.Want
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns Cause.
func (e *TypeError) Unwrap() error { return e.Cause }

// describe names what an accessor found, for TypeError.
func describe(t Type, null bool) string {
	switch {
	case !null:
		return t.String()
	case t == TypeNull:
		return "null"
	}
	return "null " + t.String()
}

// maxQuoted bounds the input quoted in a TypeError's cause.
const maxQuoted = 64

// numberError is the Cause of a TypeError for b, a string that did not
// parse as an integer (float false) or a float: the *strconv.NumError that
// strconv reports, with the input clipped to maxQuoted bytes. It runs only
// on failure, so the parsers of the success path stay allocation-free.
func numberError(b []byte, float bool) error {
	fn := "ParseInt"
	if float {
		fn = "ParseFloat"
	}
	if len(b) <= maxQuoted {
		var err error
		if float {
			_, err = strconv.ParseFloat(string(b), 64)
		} else {
			_, err = strconv.ParseInt(string(b), 10, 64)
		}
		if err != nil {
			return err
		}
		// strconv accepts forms RESP does not ("Infinity", "0x1p3").
		return &strconv.NumError{Func: fn, Num: string(b), Err: strconv.ErrSyntax}
	}
	cause := strconv.ErrSyntax
	if isBigNumber(b) {
		cause = strconv.ErrRange // digits only: too many of them
	}
	return &strconv.NumError{Func: fn, Num: string(b[:maxQuoted]) + "…", Err: cause}
}
