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

// ErrNotMaster is the cause (errors.Is) of a failed connect of a Client
// made by NewFailover that reached a server which is not the master: the
// sentinels named a master that has since become a replica. The manager
// tries again with backoff, asking the sentinels again.
var ErrNotMaster = errors.New("the server is not the master")

// ErrUnknownMaster is the cause (errors.Is) of a NewFailover that failed
// because every sentinel that answered monitors no master of
// FailoverConfig.MasterName.
var ErrUnknownMaster = errors.New("no master of that name is monitored")

// ErrEmptyCommand is returned by Pipeline for an empty command slice.
// (Redis does not answer an empty command, so it is never sent.)
var ErrEmptyCommand = errors.New("redmux: a pipelined command needs at least a name")

// ErrStalled is the cause (errors.Is) of a *ConnError failing requests on a
// connection that stall detection declared dead: its oldest request waited
// longer than Config.StallTimeout with nothing received, and a PING got no
// reply within Config.PingTimeout.
var ErrStalled = manager.ErrStalled

// ErrNull is returned by a Value accessor called on a null reply (a
// missing key, an absent element). Test a Value with IsNull first, or use
// errors.Is(err, ErrNull).
var ErrNull = resp.ErrNull

// TypeError is returned by a Value accessor called on a reply of another
// type, or on text that does not parse as the number asked for.
type TypeError = resp.TypeError

// ArgTypeError is returned by Do, Pipeline and Batch.Do for an argument of
// a type that cannot be sent (anything but strings, []byte, integers,
// floats and bools). It names the type and what to use instead.
type ArgTypeError = resp.ArgTypeError

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

// Value is one reply of any RESP2 or RESP3 type, as Do and Pipeline return
// it. Read it with its accessors, each of which returns ErrNull on a null
// reply, the *RedisError on an error reply, and a *TypeError on a reply of
// another type or text that does not parse:
//
//	Bytes() ([]byte, error)                 a string reply's bytes
//	Text() (string, error)                  a string reply as a string
//	Int64() (int64, error)                  an integer, or a string holding one
//	Float64() (float64, error)              a double, an integer, or a string holding one
//	Bool() (bool, error)                    a RESP3 boolean, or the integers 0 and 1
//	Strings() ([]string, error)             an array or set of strings
//	StringMap() (map[string]string, error)  a RESP3 map, or a flat RESP2 array of pairs
//	Array() ([]Value, error)                an array, set or push frame's elements
//	IsNull() bool                           a null reply (missing key, absent element)
//	Err() error                             a *RedisError for an error reply, else nil
//	String() string                         a readable form for logs and tests (%v)
//
// Type, Map, Len, VerbatimFormat and Attributes expose the rest of RESP3.
// See package github.com/redmux/redmux/resp for the full documentation.
type Value = resp.Value
