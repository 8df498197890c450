package redmuxotel

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/redmux/redmux"
)

// errorKindKey is the attribute holding the redmux.ErrorKind of a failure.
const errorKindKey = attribute.Key("redmux.error.kind")

// maxQueryText bounds db.query.text, in bytes.
const maxQueryText = 1024

// serverAttrs returns server.address and server.port for addr
// ("host:port"); a unix socket path, or anything without a port, is
// server.address alone.
func serverAttrs(addr string) []attribute.KeyValue {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(addr)}
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(host)}
	}
	return []attribute.KeyValue{semconv.ServerAddress(host), semconv.ServerPort(p)}
}

// addrCache keeps the attributes common to every call to one address:
// db.system.name, server.address, server.port and the options' attributes.
// A client talks to few addresses (one, or a cluster's nodes), so it is
// not bounded.
type addrCache struct {
	extra []attribute.KeyValue
	m     sync.Map // addr -> []attribute.KeyValue
}

func (c *addrCache) get(addr string) []attribute.KeyValue {
	if v, ok := c.m.Load(addr); ok {
		return v.([]attribute.KeyValue)
	}
	attrs := append([]attribute.KeyValue{semconv.DBSystemNameRedis}, serverAttrs(addr)...)
	attrs = append(attrs, c.extra...)
	attrs = attrs[:len(attrs):len(attrs)] // appending to it copies
	v, _ := c.m.LoadOrStore(addr, attrs)
	return v.([]attribute.KeyValue)
}

// errorAttrs returns error.type, redmux.error.kind and, for a server error
// reply, db.response.status_code: see the package documentation.
func errorAttrs(err error) []attribute.KeyValue {
	kind := redmux.KindOf(err)
	var redisErr *redmux.RedisError
	if kind == redmux.KindServer && errors.As(err, &redisErr) {
		if redisErr.Prefix == "" {
			return []attribute.KeyValue{semconv.ErrorTypeKey.String(string(kind)), errorKindKey.String(string(kind))}
		}
		return []attribute.KeyValue{
			semconv.ErrorTypeKey.String(redisErr.Prefix),
			errorKindKey.String(string(kind)),
			semconv.DBResponseStatusCode(redisErr.Prefix),
		}
	}
	return []attribute.KeyValue{semconv.ErrorTypeKey.String(string(kind)), errorKindKey.String(string(kind))}
}

// operation is what a span says of its call.
type operation struct {
	name  string // db.operation.name, and the span's name
	batch int    // db.operation.batch.size, when isBatch
	// isBatch is false for a single command, and for a pipeline of one.
	isBatch bool
	tx      bool // MULTI ... EXEC
}

// commandName is a command's db.operation.name: its name, or "redis"
// (db.system.name, the span name's last fallback) if it has none.
func commandName(name string) string {
	if name == "" {
		return "redis"
	}
	return name
}

// pipelineOperation names a pipeline as the Redis conventions ask:
// "PIPELINE" or "MULTI", followed by the command when all the commands are
// the same one; a pipeline of one command is that command.
func pipelineOperation(cmds []redmux.Command) operation {
	ops, prefix, tx := cmds, "PIPELINE", false
	if n := len(cmds); n >= 2 && cmds[0].Name == "MULTI" && cmds[n-1].Name == "EXEC" {
		ops, prefix, tx = cmds[1:n-1], "MULTI", true
	}
	if !tx && len(ops) == 1 {
		return operation{name: commandName(ops[0].Name)}
	}
	op := operation{name: prefix, batch: len(ops), isBatch: len(ops) != 1, tx: tx}
	if len(ops) > 0 && ops[0].Name != "" {
		same := true
		for _, c := range ops[1:] {
			if c.Name != ops[0].Name {
				same = false
				break
			}
		}
		if same {
			op.name = prefix + " " + ops[0].Name
		}
	}
	return op
}

// replyError returns the first error reply among a pipeline's replies and,
// for a transaction, among EXEC's.
func replyError(vals []redmux.Value, tx bool) error {
	for _, v := range vals {
		if err := v.Err(); err != nil {
			return err
		}
	}
	if tx && len(vals) > 0 {
		if inner, err := vals[len(vals)-1].Array(); err == nil {
			for _, v := range inner {
				if err := v.Err(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// queryText writes commands in redis-cli syntax, separated by "; ", at most
// maxQueryText bytes.
func queryText(cmds []redmux.Command) string {
	var b strings.Builder
	for i, c := range cmds {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		for _, arg := range c.Args {
			if b.Len() >= maxQueryText {
				break
			}
			b.WriteByte(' ')
			writeArg(&b, arg)
		}
		if b.Len() >= maxQueryText {
			break
		}
	}
	s := b.String()
	if len(s) > maxQueryText {
		s = strings.ToValidUTF8(s[:maxQueryText], "")
	}
	return s
}

// writeArg writes one argument, quoted as redis-cli would need it when it
// is empty or holds spaces, quotes or bytes that are not printable.
func writeArg(b *strings.Builder, arg []byte) {
	plain := len(arg) > 0
	for _, c := range arg {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		b.Write(arg)
		return
	}
	b.WriteString(strconv.Quote(string(arg)))
}
