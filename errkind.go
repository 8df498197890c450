package redmux

import (
	"context"
	"errors"
)

// ErrorKind sorts the errors of calls into the few kinds operators count
// and alert on: what hooks, metrics and logs report.
type ErrorKind string

// The kinds of KindOf.
const (
	// KindNone is the kind of a nil error.
	KindNone ErrorKind = ""
	// KindServer: the server answered with an error reply (*RedisError);
	// the connection is fine.
	KindServer ErrorKind = "server"
	// KindConnection: the connection failed under the call (*ConnError:
	// dial, handshake, write, read, stall).
	KindConnection ErrorKind = "connection"
	// KindProtocol: the server sent bytes that are not valid RESP
	// (*ProtocolError, alone or inside a *ConnError).
	KindProtocol ErrorKind = "protocol"
	// KindContext: the call's context ended first.
	KindContext ErrorKind = "context"
	// KindClosed: the client was closed (ErrClosed).
	KindClosed ErrorKind = "closed"
	// KindUsage: the call itself was wrong: an argument that cannot be
	// encoded, a command that needs a dedicated connection, an empty
	// command, a reply read with the wrong accessor, an invalid Config.
	KindUsage ErrorKind = "usage"
	// KindOther: anything else (an error a hook returned, say).
	KindOther ErrorKind = "other"
)

// KindOf returns the kind of err. The more specific kind wins: a
// *ConnError caused by a *ProtocolError is KindProtocol, and ErrClosed
// wins over everything.
func KindOf(err error) ErrorKind {
	var (
		redisErr  *RedisError
		protoErr  *ProtocolError
		connErr   *ConnError
		argErr    *ArgTypeError
		typeErr   *TypeError
		configErr *ConfigError
	)
	switch {
	case err == nil:
		return KindNone
	case errors.Is(err, ErrClosed):
		return KindClosed
	case errors.As(err, &redisErr):
		return KindServer
	case errors.As(err, &protoErr):
		return KindProtocol
	case errors.As(err, &connErr):
		return KindConnection
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return KindContext
	case errors.As(err, &argErr), errors.As(err, &typeErr), errors.As(err, &configErr),
		errors.Is(err, ErrNeedsDedicated), errors.Is(err, ErrEmptyCommand):
		return KindUsage
	}
	return KindOther
}
