package redmux

import (
	"bytes"
	"errors"
	"strconv"
)

// The cluster client routes requests that are already encoded (every
// typed command, Do, Pipeline and Batch encode the same way), so it reads
// back from the bytes what it needs: the command's name and its first
// key. Reading the encoding rather than the arguments keeps one
// definition per command: nothing about a command is written twice.

// encodedCommand is one command read back from its encoding.
type encodedCommand struct {
	name  [commandNameMax]byte // upper case
	nname int
	head  [4][]byte // the first arguments after the name
	nargs int       // arguments after the name
	// streamsKey is the argument after STREAMS (XREAD, XREADGROUP).
	streamsKey []byte
	size       int // bytes of the encoding
}

// Name returns the upper-case command name.
func (e *encodedCommand) Name() string { return string(e.name[:e.nname]) }

// is reports whether the command's name is name (upper case).
func (e *encodedCommand) is(name string) bool { return string(e.name[:e.nname]) == name }

var errNotEncodedCommand = errors.New("redmux: internal error: a request is not an array of bulk strings")

// readCommand reads the first command encoded in buf.
func readCommand(buf []byte) (encodedCommand, error) {
	var e encodedCommand
	n, pos, ok := readLength(buf, 0, '*')
	if !ok || n < 1 {
		return e, errNotEncodedCommand
	}
	wantStreamsKey := false
	streamsFrom := 1 // where STREAMS may appear: after XREADGROUP's GROUP g c
	for i := range n {
		var arg []byte
		if arg, pos, ok = readBulk(buf, pos); !ok {
			return e, errNotEncodedCommand
		}
		switch {
		case i == 0:
			if e.nname = upperBytes(&e.name, arg); e.is("XREADGROUP") {
				streamsFrom = 4
			}
		case wantStreamsKey:
			e.streamsKey, wantStreamsKey = arg, false
		case i >= streamsFrom && e.streamsKey == nil && bytes.EqualFold(arg, []byte("STREAMS")):
			wantStreamsKey = true
		}
		if i >= 1 && i <= len(e.head) {
			e.head[i-1] = arg
		}
	}
	e.nargs, e.size = n-1, pos
	return e, nil
}

// upperBytes writes name, upper-cased, into dst; a name longer than dst
// is cut (no command is that long).
func upperBytes(dst *[commandNameMax]byte, name []byte) int {
	n := copy(dst[:], name)
	for i := range n {
		if c := dst[i]; 'a' <= c && c <= 'z' {
			dst[i] = c - ('a' - 'A')
		}
	}
	return n
}

// splitCommands returns the end offset of every command encoded in buf.
func splitCommands(buf []byte) ([]int, error) {
	var ends []int
	for off := 0; off < len(buf); {
		e, err := readCommand(buf[off:])
		if err != nil {
			return nil, err
		}
		off += e.size
		ends = append(ends, off)
	}
	return ends, nil
}

// readLength reads "<kind><n>\r\n" at pos.
func readLength(buf []byte, pos int, kind byte) (n, next int, ok bool) {
	if pos >= len(buf) || buf[pos] != kind {
		return 0, 0, false
	}
	end := bytes.Index(buf[pos:], []byte("\r\n"))
	if end < 0 {
		return 0, 0, false
	}
	n, err := strconv.Atoi(string(buf[pos+1 : pos+end]))
	if err != nil || n < 0 {
		return 0, 0, false
	}
	return n, pos + end + 2, true
}

// readBulk reads one bulk string at pos.
func readBulk(buf []byte, pos int) (arg []byte, next int, ok bool) {
	n, pos, ok := readLength(buf, pos, '$')
	if !ok || pos+n+2 > len(buf) {
		return nil, 0, false
	}
	return buf[pos : pos+n], pos + n + 2, true
}

// firstKey returns the command's first key; keyed is false for a command
// without keys (PING, INFO, PUBLISH, EVAL with no keys, ...), which any
// node may serve. A command this table does not know is taken to have its
// key first, as most do; a wrong guess costs one MOVED redirection, which
// the command then follows to the node it names.
func (e *encodedCommand) firstKey() (key []byte, keyed bool) {
	at := 1 // the argument holding the key, counting from 1 after the name
	switch e.Name() {
	case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
		if numkeys, _ := strconv.Atoi(string(e.head[1])); numkeys <= 0 {
			return nil, false
		}
		at = 3
	case "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD", "SINTERCARD", "LMPOP", "ZMPOP",
		"BITOP", "OBJECT", "MEMORY", "XINFO", "XGROUP", "PFDEBUG":
		at = 2
	case "BLMPOP", "BZMPOP", "MIGRATE":
		at = 3
	case "XREAD", "XREADGROUP":
		return e.streamsKey, e.streamsKey != nil
	default:
		if _, keyless := keylessCommands[e.Name()]; keyless {
			return nil, false
		}
	}
	if at > e.nargs {
		return nil, false
	}
	return e.head[at-1], true
}

// keylessCommands take no key: any node may serve them (the cluster
// client sends those that need every node to every master; see
// fanOutCommands).
var keylessCommands = setOf(
	"PING", "ECHO", "INFO", "PUBLISH", "DBSIZE", "FLUSHALL", "FLUSHDB", "TIME", "CONFIG",
	"CLIENT", "CLUSTER", "COMMAND", "SCRIPT", "FUNCTION", "RANDOMKEY", "KEYS", "SCAN",
	"LASTSAVE", "SLOWLOG", "WAIT", "WAITAOF", "ACL", "DEBUG", "LATENCY", "MODULE", "PUBSUB",
	"READONLY", "READWRITE", "ROLE", "SAVE", "BGSAVE", "BGREWRITEAOF", "SHUTDOWN", "LOLWUT",
	"SWAPDB", "MONITOR", "HELLO", "AUTH", "SELECT", "QUIT", "RESET", "MULTI", "EXEC",
	"DISCARD", "UNWATCH", "FAILOVER", "REPLICAOF", "SLAVEOF", "SYNC", "PSYNC", "ASKING",
)

func setOf(names ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}
