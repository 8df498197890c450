package resp

import (
	"fmt"
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

func (e *ProtocolError) Error() string {
	if e.Type == 0 {
		return fmt.Sprintf("resp: protocol error at byte %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("resp: protocol error at byte %d in %q value: %s", e.Offset, e.Type, e.Reason)
}
