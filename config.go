package redmux

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"
)

// Config configures a Client. Zero values mean the defaults. New rejects a
// negative value, or one past its field's upper bound, with a *ConfigError
// naming the field: Managers and MaxManagers 1024, DB 2^31-1, every duration 24h,
// QueueLen and MaxInFlight 2^20, MaxBatchBytes 64 MiB, MaxDedicated 65536,
// Limits.MaxBulkLen 4 GiB, Limits.MaxAggregateLen 2^31, Limits.MaxDepth
// 1024.
type Config struct {
	// Addr is the server's "host:port", or the socket's path when Network
	// is "unix". Required.
	Addr string
	// Network is "tcp" (the default) or "unix".
	Network string
	// Managers is the number of connection managers New dials, each
	// owning one TCP connection, kept for the client's life. 0 means
	// DefaultManagers(), or MaxManagers if that is smaller.
	Managers int
	// MaxManagers bounds the managers the client may run. Beyond
	// Managers, the client opens more connections one at a time, in the
	// background, while every manager it has is busy and fewer than
	// MaxManagers requests are outstanding: at low concurrency a
	// connection per request answers sooner than a shared pipeline, while
	// at high concurrency batching on a few connections costs less. One
	// that has had no request for a minute or two is closed again (the
	// Managers ones never are). 0 means DefaultMaxManagers when Managers
	// is 0, and Managers otherwise (exactly Managers connections). A value
	// below Managers is a *ConfigError.
	MaxManagers int

	// Username and Password authenticate every connection when Password
	// is set (Username empty means the default user): inside HELLO, or
	// with AUTH on a server without HELLO. Never shown in errors.
	Username, Password string
	// CredentialsProvider, if set, is asked for the username and password
	// at every connect and reconnect, and overrides Username and Password:
	// for rotated passwords and short-lived tokens. Its error fails that
	// connect. It may be called from several goroutines at once.
	CredentialsProvider func(ctx context.Context) (username, password string, err error)
	// Protocol is the RESP version: 0 (the default) asks for RESP3 with
	// HELLO 3 and falls back to RESP2 on a server without HELLO (before
	// Redis 6); 2 or 3 asks for exactly that version and fails to connect
	// if the server refuses it. Client.Protocol reports the outcome.
	Protocol int
	// TLSConfig, if set, makes every connection use TLS with it. An empty
	// ServerName is taken from the host of Addr. With a Dial that already
	// returns *tls.Conn connections, leave it nil.
	TLSConfig *tls.Config
	// DB is selected with SELECT when it is not 0.
	DB int
	// ClientName is set with CLIENT SETNAME when it is not empty.
	ClientName string

	// DialTimeout bounds establishing a TCP connection (default 5s).
	DialTimeout time.Duration
	// HandshakeTimeout bounds the commands every new connection runs
	// first: HELLO (or, on RESP2, AUTH, CLIENT SETNAME and a PING), SELECT
	// and CLIENT SETINFO (default 5s).
	HandshakeTimeout time.Duration
	// CommandTimeout, when positive, is applied to calls whose context
	// has no deadline of its own (default 0: none). A blocking command
	// given to Do (BLPOP, XREAD BLOCK, WAIT, ...) asks the server to wait
	// for its own timeout argument first, so its bound is that timeout
	// plus CommandTimeout; one that blocks without a limit (timeout 0) is
	// bounded by its context only.
	CommandTimeout time.Duration
	// ReconnectWait bounds how long a call waits for a manager to
	// reconnect when none is connected, before failing with a *ConnError
	// (default 5s). The call's context can end the wait sooner.
	ReconnectWait time.Duration
	// DisableReadRetry stops the one retry of read-only commands. By
	// default a request made only of read-only commands (GET, MGET, HGETALL,
	// ... : those Redis flags read-only) that was sent when its connection
	// failed is sent once more, on another connection or the reconnected
	// one. Writes, and Do of a command the client does not know, are never
	// sent twice. A request that was never sent always goes to another
	// connection, whatever this says.
	DisableReadRetry bool
	// BackoffMin and BackoffMax bound the pause between reconnect
	// attempts of a manager: the first attempt is immediate, then the
	// pause doubles from BackoffMin (default 25ms) up to BackoffMax
	// (default 2s), with jitter.
	BackoffMin, BackoffMax time.Duration
	// StallTimeout: when a connection's oldest unanswered request has
	// waited this long, a PING is sent on it, and if the PING gets no
	// reply within PingTimeout the connection is declared dead: its
	// requests fail with a *ConnError and the manager reconnects
	// (defaults 3s and 1s). TCP keep-alive is on as well.
	StallTimeout, PingTimeout time.Duration
	// DisableStallDetection turns the StallTimeout check off.
	DisableStallDetection bool
	// ShutdownTimeout bounds how long closing the last handle waits for
	// replies to requests already written (default 5s).
	ShutdownTimeout time.Duration
	// QueueLen is each manager's command channel capacity (default 1024).
	// A caller that finds it full waits, but never past its context.
	QueueLen int
	// MaxInFlight bounds each manager's written-but-unanswered requests
	// (default 4096).
	MaxInFlight int
	// MaxBatchBytes is the size at which a manager's writer stops adding
	// queued requests to a batch and writes it (default 64 KiB).
	MaxBatchBytes int
	// SubscriptionBuffer is how many received messages each Subscription
	// holds for its reader (default 1024). When it is full, newer messages
	// are dropped and counted in SubscriptionStats.Dropped: a slow reader
	// never holds up the connection, commands or other subscriptions.
	SubscriptionBuffer int
	// MaxDedicated bounds the dedicated connections open at once, used by
	// Dedicated and by blocking commands given to Do (default 16).
	MaxDedicated int
	// Limits bound what the reply reader accepts; zero fields take the
	// resp package's defaults (512 MiB bulk strings, like Redis).
	Limits Limits

	// Dial, if set, opens connections instead of a dial with TCP
	// keep-alive (for proxies, custom transports or tests). It is called
	// with Network and Addr, and must honour ctx; (*net.Dialer).DialContext
	// and (*tls.Dialer).DialContext fit as they are. With TLSConfig set,
	// TLS runs over what Dial returns, unless that is a *tls.Conn already.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// Logger, if set, receives the client's events as structured records;
	// nil (the default) logs nothing and costs nothing. Messages begin
	// "redmux: " and attributes have stable keys:
	//
	//   - Info "connected" (addr): a manager's first connection, so New
	//     logs Managers of them.
	//   - Warn "connection lost" (addr, cause).
	//   - Warn "reconnect attempt failed" (addr, attempt, cause, backoff:
	//     the wait drawn before the next attempt).
	//   - Info "reconnected" (addr, cause: what ended the connection,
	//     attempts, downtime): exactly once per reconnect.
	//   - Warn "stall detected" (addr, quiet: how long the connection had
	//     requests in flight and received nothing, in_flight,
	//     stall_timeout, ping_timeout).
	//   - Warn "handshake failed" (addr, cause), on every kind of
	//     connection; in a reconnect, the attempt's record follows it.
	//   - Info "resubscribed" (addr, channels, patterns, shard_channels,
	//     refused): a Subscription back on a new connection, once the
	//     server has answered every name.
	//   - Info "cluster topology changed" (masters, replicas,
	//     masters_added, masters_removed, replicas_added,
	//     replicas_removed, slots_moved): a reload that found a change;
	//     not the first load.
	//   - Info "master switched" (master, old, new): NewFailover's
	//     sentinels named a new master.
	//
	// Nothing is logged per command, and no record holds a password:
	// handshake errors name the step, never its arguments. The logger is
	// called from the client's goroutines, several at once, so its handler
	// must be safe for concurrent use, as every slog.Handler is; a slow one
	// delays what logs (a reconnect, a reload, a subscription's reading),
	// never commands on a healthy connection. For NewCluster and
	// NewFailover, set it in Node: it serves their own events too.
	Logger *slog.Logger

	// OnPush, if set, receives the RESP3 push frames that are not pub/sub
	// messages (client-side caching invalidations, for instance). It runs
	// on the goroutine reading the connection's replies (its reader
	// goroutine, or a caller alone reading its own; on a dedicated connection,
	// the goroutine calling it) and must not block. The Value is the
	// callback's to keep. Shared connections receive pushes only from
	// server features that push unasked; commands that ask for them
	// (CLIENT TRACKING, SUBSCRIBE) run on dedicated connections.
	OnPush func(Value)

	// Hooks wrap every dial, command and pipeline of the client, the first
	// outermost (see Hook): for tracing, metrics and logging, such as the
	// redmuxotel module's. None by default, and then the calls pay
	// nothing for them.
	Hooks []Hook
	// HookArguments gives hooks the arguments of each command
	// (Command.Args), as copies. Off by default: arguments may hold
	// secrets, and copying them costs an allocation per argument.
	HookArguments bool

	// requireMaster makes every connection check that it reached a master
	// (HELLO's role, or ROLE on RESP2), failing the connect otherwise, and
	// makes a manager redial when a write is answered -READONLY: the
	// connections of NewFailover.
	requireMaster bool

	// readOnlyReplica makes every connection send READONLY: a cluster
	// replica then serves reads of its master's slots.
	readOnlyReplica bool
	// onReconnect, if set, runs when a manager has replaced a lost
	// connection (on its writer goroutine: it must not block).
	onReconnect func()
}
