// Package resp reads and writes the Redis serialization protocol, RESP2 and
// RESP3. It imports only the standard library.
//
// Reading: NewReader wraps a byte stream; ReadValue returns one Value of any
// RESP2 or RESP3 type. The Reader is bounded (see Limits): it rejects
// negative lengths other than -1, lengths over its limits and nesting deeper
// than its limit with a *ProtocolError, it never panics, and it allocates in
// proportion to the bytes it has received rather than to lengths the stream
// claims. Streamed strings and aggregates are rejected (Redis never sends
// them). Attributes are attached to the value that follows them.
//
// Writing: the Append functions encode a command as an array of bulk strings
// into a caller-owned buffer; with a reused buffer they do not allocate.
// AppendValue writes any Value, as a server would.
//
// Server error replies are values, not read errors: Value.Err returns them
// as *Error, whose Prefix ("ERR", "WRONGTYPE", "MOVED", ...) can be checked.
//
// Converting: Value's accessors (Bytes, Text, Int64, Float64, Bool, Array,
// Strings, Map, StringMap) turn a reply into Go values and fail in one way:
// ErrNull for a null, the reply's *Error for an error reply, and a
// *TypeError for anything they cannot convert. Value.String renders a reply
// for people (%v), not for parsing.
//
// Benchmark figures for this package are in BENCHMARKS.md at the repository
// root.
//
// This is an internal layer of redmux: its API serves the layers above it
// and may change at any time. Programs use the root package,
// github.com/redmux/redmux, which re-exports the types they meet (Value,
// Limits, the error types).
package resp
