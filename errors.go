package redmux

import (
	"errors"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// ErrClosed is returned by calls on a closed handle, by calls made after the
// last handle was closed, and by requests still unanswered when shutdown
// gave up waiting for them. Test for it with errors.Is.
var ErrClosed = manager.ErrClosed

// ErrEmptyCommand is returned by Do called without arguments. (Redis does
// not answer an empty command, so it is never sent.)
var ErrEmptyCommand = errors.New("redmux: Do needs at least a command name")

// ErrMaybeExecuted matches, with errors.Is, a *ConnError whose request was
// sent before its connection failed: the server may or may not have run
// it. A *ConnError that does not match it was never sent.
var ErrMaybeExecuted = manager.ErrMaybeExecuted

// ConnError reports a request that failed because of its connection: the
// dial, the handshake, a write or a read failed, or the connection was lost
// while the request waited. It names the operation, the server address, the
// command and the cause (Unwrap), never a password. Its Sent field (and
// errors.Is(err, ErrMaybeExecuted)) tells whether the request was sent: if
// so, the command may or may not have run; if not, it did not run.
type ConnError = manager.ConnError

// RedisError is an error reply from the server, such as "ERR unknown
// command" or "WRONGTYPE Operation against a key holding the wrong kind of
// value". Prefix holds the error code ("ERR", "WRONGTYPE", "MOVED", ...).
// The connection stays usable.
type RedisError = resp.Error

// ProtocolError reports a reply that is not valid RESP or breaks the
// reader's limits. The connection it came from is closed; requests pending
// on it fail with a *ConnError that wraps the *ProtocolError.
type ProtocolError = resp.ProtocolError

// Value is one reply of any RESP2 or RESP3 type.
type Value = resp.Value
