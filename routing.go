package redmux

import "strings"

// route says where a command given to Do may run.
type route int

const (
	// routeShared: any manager's pipeline.
	routeShared route = iota
	// routeBlocking: a command that may block its connection (BLPOP,
	// XREAD BLOCK, WAIT). Do runs it on a dedicated connection.
	routeBlocking
	// routeConnState: a command that changes or depends on connection
	// state (MULTI, WATCH, SUBSCRIBE, SELECT, ...). Only a DedicatedConn
	// may run it.
	routeConnState
)

// routeOf classifies a command by its name and, for XREAD and
// XREADGROUP, by whether it has a BLOCK option. args are the arguments
// after the name.
func routeOf(name string, args []any) route {
	var upper [commandNameMax]byte
	n, ok := upperName(&upper, name)
	if !ok {
		return routeShared
	}
	switch string(upper[:n]) {
	case "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF":
		return routeBlocking
	case "XREAD", "XREADGROUP":
		if hasBlockOption(args) {
			return routeBlocking
		}
	case "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
		"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
		"SELECT", "MONITOR", "RESET", "QUIT", "HELLO", "AUTH", "SWAPDB", "SYNC", "PSYNC":
		return routeConnState
	case "CLIENT":
		if len(args) > 0 && isOneOf(args[0], "REPLY", "TRACKING", "SETNAME", "NO-EVICT", "NO-TOUCH", "SETINFO") {
			return routeConnState
		}
	}
	return routeShared
}

// commandNameMax is the longest command name the classifiers look at;
// longer names are not special (the longest Redis command is 20 bytes).
const commandNameMax = 32

// upperName writes the upper-cased command name into dst without
// allocating. Names longer than dst are not special.
func upperName(dst *[commandNameMax]byte, s string) (int, bool) {
	if len(s) > len(dst) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst[i] = c
	}
	return len(s), true
}

func hasBlockOption(args []any) bool {
	for _, a := range args {
		if isOneOf(a, "BLOCK") {
			return true
		}
	}
	return false
}

func isOneOf(arg any, words ...string) bool {
	var s string
	switch a := arg.(type) {
	case string:
		s = a
	case []byte:
		s = string(a)
	default:
		return false
	}
	for _, w := range words {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// commandLabel is a command's name in upper case, for errors.
func commandLabel(name string) string {
	var upper [commandNameMax]byte
	n, ok := upperName(&upper, name)
	if !ok {
		return name
	}
	return string(upper[:n])
}
