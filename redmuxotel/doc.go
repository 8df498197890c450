// Package redmuxotel instruments redmux clients with OpenTelemetry: a
// [redmux.Hook] that makes one client span per command and per pipeline and
// records the semantic-convention operation duration and an error counter,
// and [ObserveStats], which reports a client's [redmux.Stats] (queues,
// connections, throughput) as observable instruments.
//
// It is a module of its own, so that the redmux module never depends on
// OpenTelemetry. Wire it with the client's Config:
//
//	c, err := redmux.New(ctx, redmux.Config{
//		Addr:  "localhost:6379",
//		Hooks: []redmux.Hook{redmuxotel.Hook()},
//	})
//	...
//	stop, err := redmuxotel.ObserveStats(c)
//	defer stop()
//
// For a Redis Cluster put the hook in ClusterConfig.Node.Hooks and pass the
// *redmux.ClusterClient to ObserveStats.
//
// # Spans
//
// Spans follow the OpenTelemetry semantic conventions for Redis client
// operations (semantic conventions v1.43.0, the stable database attributes):
// kind Client, named after db.operation.name, with db.system.name "redis",
// server.address and server.port (parsed from the address the command went
// to; a unix socket path is server.address alone). On a ClusterClient that
// address is the node's that served the call, not the configured seed
// address the conventions prefer, which a hook does not see. A command alone is
// named after its command ("GET"). A pipeline is one span named "PIPELINE",
// or "PIPELINE GET" when all its commands are GETs, with
// db.operation.batch.size; a pipeline of one command is modelled as that
// command. A transaction (MULTI ... EXEC as one request) is named "MULTI"
// or "MULTI INCR" the same way, its batch size counting the commands
// between MULTI and EXEC.
//
// db.namespace is not set: a hook does not learn the database index. Add
// it with WithAttributes(semconv.DBNamespace("2")) when the client uses
// Config.DB. db.query.text is off by default, since arguments may hold
// secrets: see [WithQueryText].
//
// # Errors
//
// A failed call ends its span with status Error, records the error as an
// exception event, and sets error.type, chosen to be low-cardinality:
//
//   - for a server error reply, the Redis error prefix ("ERR",
//     "WRONGTYPE", "NOSCRIPT", ...), which is also set as
//     db.response.status_code, as the Redis conventions ask; "server" for an
//     error reply without an upper-case prefix;
//   - otherwise the [redmux.ErrorKind] of the error: "connection",
//     "protocol", "context", "closed", "usage" or "other".
//
// redmux.error.kind always holds the ErrorKind ("server" for every error
// reply), for alerts that count kinds rather than prefixes.
//
// A pipeline fails as a whole when the request fails; when it succeeds but
// one of its replies is an error reply (for a transaction: also one of
// EXEC's replies), its span is still marked Error, with the first such
// reply's prefix as error.type, since the caller's work did not all
// succeed.
//
// # Metrics
//
// The hook records db.client.operation.duration (a histogram in seconds
// with the semantic-convention bucket boundaries) for every command and
// pipeline, and counts failed ones in redmux.client.errors. ObserveStats
// reports the redmux.client.* instruments listed on it.
//
// # Concurrency
//
// Everything here is safe for concurrent use: one Hook serves any number of
// clients and goroutines, and ObserveStats' callback may run concurrently
// with the client's calls.
package redmuxotel
