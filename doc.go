// Package redmux is a Redis client for programs that talk to Redis from
// many goroutines at once. It also works with protocol-compatible servers
// such as Valkey.
//
// A Client is a handle on a few connection managers. Each manager owns one
// connection, a bounded queue, a writer goroutine and a reader goroutine. A
// request goes to the least-loaded manager; requests from many goroutines
// are pipelined automatically (the writer sends whatever is queued in one
// write), and replies are matched to their callers in order, so a reply
// never reaches the wrong caller. docs/ARCHITECTURE.md in the repository
// describes the design.
//
// # Connecting
//
// Connect dials a server with the default configuration; New takes a
// Config. Both connect every manager before they return, and a failure is a
// *ConnError naming the address and the cause, with nothing left running.
// Connect takes "host:port" or a URL, which ParseURL reads into a Config:
// redis://user:password@host:port/db, rediss:// for TLS, unix:///path, with
// query keys such as protocol, client_name and dial_timeout.
//
//	c, err := redmux.Connect(ctx, "redis://app:secret@127.0.0.1:6379/2?protocol=3")
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//
// Zero fields of Config take their defaults: the Default constants and
// DefaultManagers. New rejects a negative value, or one past its field's
// upper bound, with a *ConfigError naming the field. Username and Password
// authenticate as an ACL user; a CredentialsProvider, asked at every connect
// and reconnect, replaces them for rotated passwords and tokens. TLSConfig
// turns on TLS (an empty ServerName is taken from Addr), Network "unix"
// makes Addr a socket path, and Protocol chooses the RESP version.
//
// Every new connection, including each reconnect and each dedicated
// connection, first sends HELLO 3 with AUTH and SETNAME folded in. With
// Protocol 0 (the default), a server without HELLO (before Redis 6) gets
// the RESP2 handshake instead: AUTH, CLIENT SETNAME and a PING that must be
// answered PONG. Protocol 2 starts with that handshake; Protocol 3 fails on
// a server without RESP3. Then SELECT runs when DB is not 0, and CLIENT
// SETINFO reports the library's name and version (a server that refuses it
// is not an error). Every reply is checked, so a peer that is not a Redis
// server fails Connect instead of answering commands wrongly; errors name
// the step, never the password. Client.Protocol reports the version the
// connections speak.
//
// With RESP3, Config.OnPush receives the push frames that arrive on the
// shared connections outside any reply; a push never completes a request.
// It runs on the goroutine reading the replies and must not block. Pub/sub
// messages never reach it: they are read with DedicatedConn.Receive, and a
// DedicatedConn.Do that meets one before its reply keeps it for Receive;
// other pushes met there (CLIENT TRACKING invalidations) go to OnPush.
//
// Clone returns another handle on the same managers, for a goroutine or a
// component that closes its own handle.
//
// # Commands
//
// Typed commands cover strings, keys, hashes, lists, sets, sorted sets,
// streams, HyperLogLog, bitmaps, geo, server, scripting and pub/sub. Each
// is available on a Client, a DedicatedConn and a Tx and, except the
// blocking ones, as a deferred result in a Batch. Stored data (string
// values, hash values, list elements, stream field values) is []byte;
// names (keys, fields, members, stream IDs) are strings. Blocking helpers
// (BLPop, BRPop, BLMove, BZPopMin, BZPopMax, XRead and XReadGroup with
// Block) take their timeout and run on a dedicated connection. A reply that
// may be absent comes with found; Get reports a missing key as found ==
// false with a nil error, which is not the same as an empty value:
//
//	val, found, err := c.Get(ctx, "greeting")
//
// Do runs any command: its name, then its arguments.
//
//	v, err := c.Do(ctx, "HSET", "user:1", "name", "Ada", "born", 1815)
//
// Arguments are sent as Redis bulk strings, encoded from their Go type:
//
//	Go type                               sent as
//	string                                its bytes
//	[]byte                                its bytes (binary-safe)
//	int, int8, int16, int32, int64        decimal text: "-42"
//	uint, uint8, uint16, uint32, uint64   decimal text: "42"
//	float64                               the shortest text that reads back as the same float64:
//	                                      "0.1", "1e+21"; "inf", "-inf" and "nan"
//	float32                               the shortest text that reads back as the same float32:
//	                                      float32(0.1) is sent as "0.1"
//	bool                                  "1" for true, "0" for false
//	anything else                         refused with an *ArgTypeError naming the argument's
//	                                      position and Go type; nothing is sent
//
// Refused types include time.Duration (seconds or milliseconds would be a
// guess: pass d.Milliseconds() to a command that takes milliseconds, or use
// Expire and SetWith, which take a time.Duration), nil, pointers, and named
// types such as "type UserID string" (convert them: string(id)).
//
// A reply is a Value, which holds any RESP2 or RESP3 type. Its accessors
// convert it:
//
//	method     returns                     accepts
//	Bytes      ([]byte, error)             simple, bulk and verbatim strings, big numbers;
//	                                       integers and doubles as decimal text
//	Text       (string, error)             what Bytes accepts, as a string
//	Int64      (int64, error)              integers; booleans as 0 or 1; strings holding a
//	                                       decimal integer (RESP2 sends numbers as strings)
//	Float64    (float64, error)            doubles; integers; strings holding a number,
//	                                       "inf", "-inf" and "nan" included
//	Bool       (bool, error)               booleans; integers, true when not zero
//	Strings    ([]string, error)           arrays, sets and pushes of elements Text accepts
//	StringMap  (map[string]string, error)  RESP3 maps; RESP2 arrays of alternating keys and
//	                                       values (an odd length is an error)
//	Array      ([]Value, error)            arrays, sets and pushes; a map's keys and values,
//	                                       interleaved
//	IsNull     bool                        true for the RESP3 null and RESP2's null string
//	                                       and null array
//	Err        error                       the *RedisError of an error reply; nil otherwise
//	String     string                      a readable form for %v and logs, not for parsing
//
// An accessor called on a null returns ErrNull (check IsNull first when a
// null is an expected answer), on an error reply its *RedisError, and on a
// type it does not accept a *TypeError naming the accessor and the type.
// The slices a Value returns alias its storage, which nothing else writes:
// they stay valid, and a Value is safe to share between goroutines.
//
// # Pipelining
//
// Concurrent calls are pipelined without any help: whatever is queued on a
// manager when its writer runs goes out in one write, and an idle client
// writes at once, so there is no timer and no added latency. Stats shows the
// requests per write (ManagerStats.AvgBatch).
//
// The number of connections follows the load: New dials Config.Managers
// (DefaultManagers, 2 to 4, by default), whose batches serve many
// concurrent callers best; while every connection is busy and only a few
// requests are outstanding, the client opens more in the background, up
// to Config.MaxManagers (DefaultMaxManagers, 8, when both are left zero),
// so that a handful of concurrent callers each get a connection of their
// own. Setting Managers alone fixes the count.
//
// Pipeline sends several commands back to back on one connection, and
// nothing from other callers lands between them. It returns one Value per
// command, in order:
//
//	vals, err := c.Pipeline(ctx,
//		[]any{"SET", "visits", 41},
//		[]any{"INCR", "visits"},
//	)
//
// A Batch does the same with the typed commands: each returns a result that
// is filled in by RunBatch.
//
//	b := redmux.NewBatch()
//	g := b.Get("k")
//	n := b.Incr("n")
//	if err := c.RunBatch(ctx, b); err != nil {
//		return err
//	}
//	val, found, err := g.Result()
//	count, err := n.Result()
//
// In both, a command the server rejects fails only its own reply (a
// Value's Err, a result's error); the error of Pipeline or RunBatch is for
// the whole (the connection, the context, a closed client). Blocking and
// connection-state commands cannot be pipelined: they are refused with
// ErrNeedsDedicated.
//
// # Dedicated connections
//
// Commands that block their connection or change its state must not share a
// pipeline with other callers. Blocking commands (BLPOP, BRPOP, BLMOVE,
// BZPOPMIN, XREAD and XREADGROUP with BLOCK, WAIT, ...) given to Do run on a
// dedicated connection by themselves. Commands that change the
// connection's state (MULTI, EXEC, WATCH, SELECT, MONITOR, CLIENT REPLY,
// ...) are refused by Do with ErrNeedsDedicated: run them inside
// Dedicated, which lends a connection of its own to a function (pub/sub
// has its own API, below):
//
//	err := c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
//		if _, err := conn.Do(ctx, "WATCH", "balance"); err != nil {
//			return err
//		}
//		// ... read, then MULTI, commands, EXEC
//		return nil
//	})
//
// A DedicatedConn has Do, the typed commands, RunBatch, and Receive for
// what the server sends unasked (MONITOR's lines, for instance). When the
// function returns, the connection is reused if it is clean and closed if
// it holds state (an open MULTI or WATCH, a SELECT) or failed. At most
// Config.MaxDedicated are open at once.
//
// # Pub/sub
//
// Subscribe, PSubscribe and SSubscribe return a Subscription once the
// server has confirmed every channel; Publish and SPublish post messages.
//
//	sub, err := c.Subscribe(ctx, "orders")
//	if err != nil {
//		return err
//	}
//	defer sub.Close()
//	for {
//		msg, err := sub.Receive(ctx) // or range over sub.Messages()
//		if err != nil {
//			return err
//		}
//		handle(msg.Channel, msg.Payload)
//	}
//
// Each Subscription has a connection of its own and a goroutine reading
// it, so it never delays commands. Received messages wait in a buffer of
// Config.SubscriptionBuffer messages; when it is full, newer messages are
// dropped and counted (Stats().Dropped) rather than hold anything up, as
// Redis itself drops a subscriber that falls too far behind. A Receive
// whose context ends returns the context's error and leaves the
// subscription intact. After a lost connection the subscription
// reconnects with backoff, runs the handshake again and resubscribes to
// everything on its own; messages published meanwhile are lost, and
// Stats().Reconnects counts such gaps. Subscribe, Unsubscribe and their
// pattern and shard forms change a live subscription, each returning once
// the server confirmed it; after an unsubscribe returns, nothing more is
// delivered for those channels. Close ends a subscription, and closing the
// last Client handle ends them all: Messages' channel closes and Receive
// returns ErrClosed. SUBSCRIBE and its kin given to Do, Pipeline, a Batch
// or a DedicatedConn are refused with an error that points here.
//
// # Transactions, scripts and scans
//
// Client.Watch runs a function with a Tx whose connection WATCHes keys;
// Tx.Exec sends MULTI, the commands and EXEC in one write and returns
// ErrTxAborted when a watched key changed (retry the Watch). Client.Multi
// runs MULTI/EXEC on the shared connections as one queue entry. NewScript
// runs Lua by digest with EVALSHA, falling back to EVAL once on NOSCRIPT.
// Scan, ScanType, HScan, SScan and ZScan are iter.Seq2 iterators: break
// to stop, and an error is yielded once at the end.
//
// # Errors
//
// Every error can be inspected with errors.Is and errors.As:
//
//   - ErrClosed: the handle, or the whole client, is closed.
//   - *ConnError: the connection failed (dial, handshake, write, read). It
//     names the operation, the address and the command, never a password.
//     Its Sent field says whether the command was sent: if not, it did not
//     run; if so, errors.Is(err, ErrMaybeExecuted) holds and it may or may
//     not have run. A connection declared dead because it stopped answering
//     wraps ErrStalled.
//   - *RedisError: the server's error reply, such as WRONGTYPE; Prefix holds
//     the code. The connection stays usable.
//   - *ProtocolError: a reply that is not valid RESP or breaks Config.Limits;
//     the connection is closed and the calls waiting on it get a *ConnError
//     wrapping it.
//   - *ConfigError, *ArgTypeError, *TypeError, ErrNull, ErrNeedsDedicated:
//     see above.
//   - The context's own error, unchanged, when a call's context ends first.
//
// For example:
//
//	var ce *redmux.ConnError
//	if errors.As(err, &ce) && !ce.Sent {
//		// never reached the server: safe to try again
//	}
//
// When a connection fails, the client sends a request that was never sent
// to another connection at once, and sends a read-only request (GET, MGET,
// HGETALL, ...: what Redis flags read-only) that was sent once more unless
// Config.DisableReadRetry is set. A write that was sent is never sent
// twice. The manager reconnects in the background.
//
// # Concurrency
//
// A Client is safe for concurrent use by any number of goroutines, and
// Clone and Close may race with calls in flight. A DedicatedConn belongs to
// the function it was lent to and is used by one goroutine at a time. A
// Value is immutable. Byte slices returned by commands belong to the
// caller, and byte slices passed to a Client's commands are not kept after
// the call returns.
//
// A call's context bounds it everywhere, from waiting for room in a queue to
// waiting for the reply. A caller whose context ends gets the context's
// error at once; if its command was already written, its reply is read and
// dropped, and the connection stays in sync. Config.CommandTimeout, when
// set, applies to calls whose context has no deadline.
//
// # Redis Cluster
//
// NewCluster connects to a Redis Cluster through any of its nodes and
// returns a *ClusterClient, which has the typed commands, Do, Pipeline,
// RunBatch, the scans, Publish and SPublish of a Client with the same
// signatures. Each node gets managers of its own, built from
// ClusterConfig.Node. Commands go to the master of their key's hash slot
// (or, with ReadFromReplicas, reads to a replica); MOVED, ASK, TRYAGAIN and
// CLUSTERDOWN are handled inside the call, within its context and
// ClusterConfig.RetryWait, and the topology is reloaded in the background
// when the cluster changes. Keys of one multi-key command must share a
// slot (use {hash tags}); the server's CROSSSLOT error is returned
// otherwise. Pipelines are split by node and reassembled in order. See the
// ClusterClient documentation for the details.
//
// # Observability
//
// Config.Hooks wraps every dial, command and pipeline in middleware (see
// Hook): for tracing, metrics and logging, such as the redmuxotel module's
// OpenTelemetry spans and metrics. KindOf sorts errors into the kinds worth
// counting. With no hook a call pays one nil check. Stats and
// ClusterClient.ClusterStats give the counters of every manager.
//
// # Redis Sentinel
//
// NewFailover returns a *Client on the master that Redis Sentinel
// monitors under FailoverConfig.MasterName. Every connect and reconnect
// asks the sentinels for the master's address and checks that the server
// it reaches is a master (ErrNotMaster otherwise, retried with backoff);
// when the sentinels announce a failover (+switch-master), every
// connection redials at once. Requests not yet sent go to the new master;
// writes already sent fail with a *ConnError matching ErrMaybeExecuted.
//
// # Shutdown
//
// Each handle is closed once; Close is idempotent and calls on a closed
// handle return ErrClosed. Closing the last handle shuts every manager down
// together: new calls get ErrClosed, queued requests are written, replies
// are awaited up to Config.ShutdownTimeout, connections close, what is left
// fails with ErrClosed, calls on dedicated connections are interrupted with
// ErrClosed, and Close returns after every goroutine of the client has
// exited. Closing a handle that is not the last one disturbs nobody.
package redmux
