package main

import "github.com/redmux/redmux"

// errKind sorts failed operations by what the library reported.
type errKind int

const (
	// errConn: a *redmux.ConnError (dial, write or read failed, or the
	// connection was lost while the request waited).
	errConn errKind = iota
	// errProtocol: a *redmux.ProtocolError, alone or inside a ConnError:
	// the server sent bytes that are not valid RESP.
	errProtocol
	// errRedis: a *redmux.RedisError, an error reply from the server.
	errRedis
	// errClosed: redmux.ErrClosed, the client was shut down under the call.
	errClosed
	// errContext: the operation's context ended (a second Ctrl-C, or an
	// operation still running long after the run stopped).
	errContext
	// errOther: anything else.
	errOther
	numErrKinds
)

// errKindNames are the names used in the summary and its JSON.
var errKindNames = [numErrKinds]string{
	errConn:     "conn",
	errProtocol: "protocol",
	errRedis:    "redis",
	errClosed:   "closed",
	errContext:  "context",
	errOther:    "other",
}

func (k errKind) String() string { return errKindNames[k] }

// classify returns the kind of a non-nil error from the client, as
// redmux.KindOf sorts it (usage errors, which the demo never makes, count
// as other).
func classify(err error) errKind {
	switch redmux.KindOf(err) {
	case redmux.KindClosed:
		return errClosed
	case redmux.KindServer:
		return errRedis
	case redmux.KindProtocol:
		return errProtocol
	case redmux.KindConnection:
		return errConn
	case redmux.KindContext:
		return errContext
	}
	return errOther
}
