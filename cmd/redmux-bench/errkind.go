package main

import (
	"context"
	"errors"

	"github.com/redmux/redmux"
)

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

// classify returns the kind of a non-nil error from the client. More
// specific kinds win: a ConnError caused by a ProtocolError is a protocol
// error, and ErrClosed wins over everything.
func classify(err error) errKind {
	var (
		connErr  *redmux.ConnError
		redisErr *redmux.RedisError
		protoErr *redmux.ProtocolError
	)
	switch {
	case errors.Is(err, redmux.ErrClosed):
		return errClosed
	case errors.As(err, &redisErr):
		return errRedis
	case errors.As(err, &protoErr):
		return errProtocol
	case errors.As(err, &connErr):
		return errConn
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errContext
	default:
		return errOther
	}
}
