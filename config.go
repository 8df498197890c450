package redmux

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/pool"
	"github.com/redmux/redmux/resp"
)

// Defaults for the zero values of Config.
const (
	DefaultShutdownTimeout  = 5 * time.Second
	DefaultDialTimeout      = manager.DefaultDialTimeout
	DefaultHandshakeTimeout = manager.DefaultHandshakeTimeout
	DefaultReconnectWait    = pool.DefaultReconnectWait
	DefaultStallTimeout     = manager.DefaultStallTimeout
	DefaultPingTimeout      = manager.DefaultPingTimeout
	DefaultQueueLen         = manager.DefaultQueueLen
	DefaultMaxInFlight      = manager.DefaultMaxInFlight
	DefaultMaxBatchBytes    = manager.DefaultMaxBatchBytes
	// maxDefaultManagers caps DefaultManagers: one server thread cannot use
	// more connections than this profitably (see BENCHMARKS.md).
	maxDefaultManagers = 4
)

// DefaultManagers is the number of managers used when Config.Managers is
// zero: GOMAXPROCS, at least 2 and at most 4. Automatic pipelining makes a
// few connections enough to saturate a single-threaded server; more only
// shrink each connection's batches (see BENCHMARKS.md for the measurement).
func DefaultManagers() int {
	return min(max(runtime.GOMAXPROCS(0), 2), maxDefaultManagers)
}

// Config configures a Client. Zero values mean the defaults. New rejects a
// negative value, or one past its field's upper bound, with a *ConfigError
// naming the field: Managers 1024, DB 2^31-1, every duration 24h,
// QueueLen and MaxInFlight 2^20, MaxBatchBytes 64 MiB, MaxDedicated 65536,
// Limits.MaxBulkLen 4 GiB, Limits.MaxAggregateLen 2^31, Limits.MaxDepth
// 1024.
type Config struct {
	// Addr is the server's "host:port". Required.
	Addr string
	// Managers is the number of connection managers, each owning one TCP
	// connection. 0 means DefaultManagers().
	Managers int

	// Username and Password authenticate with AUTH when Password is set
	// (Username empty means the default user). Never shown in errors.
	Username, Password string
	// DB is selected with SELECT when it is not 0.
	DB int
	// ClientName is set with CLIENT SETNAME when it is not empty.
	ClientName string

	// DialTimeout bounds establishing a TCP connection (default 5s).
	DialTimeout time.Duration
	// HandshakeTimeout bounds the commands every new connection runs
	// first: AUTH, SELECT, CLIENT SETNAME and a PING (default 5s).
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
	// MaxDedicated bounds the dedicated connections open at once, used by
	// Dedicated and by blocking commands given to Do (default 16).
	MaxDedicated int
	// Limits bound what the reply reader accepts; zero fields take the
	// resp package's defaults (512 MiB bulk strings, like Redis).
	Limits resp.Limits

	// Dial, if set, opens connections instead of a TCP dial with
	// keep-alive (for proxies, custom TLS or tests). It is called with
	// network "tcp" and Addr, and must honour ctx; (*net.Dialer).DialContext
	// and (*tls.Dialer).DialContext fit as they are.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Upper bounds of Config's numeric fields. Past them a value is a mistake
// (or would exhaust memory before the first command), so New rejects it
// with a *ConfigError naming the field. The Config docs list them.
const (
	limitManagers     = 1024
	limitQueueLen     = 1 << 20
	limitMaxInFlight  = 1 << 20
	limitBatchBytes   = 64 << 20
	limitMaxDedicated = 1 << 16
	limitDB           = math.MaxInt32
	limitDuration     = 24 * time.Hour
	limitBulkLen      = 4 << 30
	limitAggregateLen = 1 << 31
	limitDepth        = 1024
)

// validate reports the first invalid field by name.
func (c Config) validate() error {
	if c.Addr == "" {
		return &ConfigError{Field: "Addr", Reason: "is empty; want host:port"}
	}
	for _, f := range []struct {
		name       string
		value, max int64
		unit       string
	}{
		{"Managers", int64(c.Managers), limitManagers, ""},
		{"DB", int64(c.DB), limitDB, ""},
		{"DialTimeout", int64(c.DialTimeout), int64(limitDuration), "duration"},
		{"HandshakeTimeout", int64(c.HandshakeTimeout), int64(limitDuration), "duration"},
		{"CommandTimeout", int64(c.CommandTimeout), int64(limitDuration), "duration"},
		{"ReconnectWait", int64(c.ReconnectWait), int64(limitDuration), "duration"},
		{"BackoffMin", int64(c.BackoffMin), int64(limitDuration), "duration"},
		{"BackoffMax", int64(c.BackoffMax), int64(limitDuration), "duration"},
		{"StallTimeout", int64(c.StallTimeout), int64(limitDuration), "duration"},
		{"PingTimeout", int64(c.PingTimeout), int64(limitDuration), "duration"},
		{"ShutdownTimeout", int64(c.ShutdownTimeout), int64(limitDuration), "duration"},
		{"QueueLen", int64(c.QueueLen), limitQueueLen, ""},
		{"MaxInFlight", int64(c.MaxInFlight), limitMaxInFlight, ""},
		{"MaxBatchBytes", int64(c.MaxBatchBytes), limitBatchBytes, ""},
		{"MaxDedicated", int64(c.MaxDedicated), limitMaxDedicated, ""},
		{"Limits.MaxBulkLen", c.Limits.MaxBulkLen, limitBulkLen, ""},
		{"Limits.MaxAggregateLen", c.Limits.MaxAggregateLen, limitAggregateLen, ""},
		{"Limits.MaxDepth", int64(c.Limits.MaxDepth), limitDepth, ""},
	} {
		if err := checkRange(f.name, f.value, f.max, f.unit == "duration"); err != nil {
			return err
		}
	}
	return nil
}

// checkRange accepts 0 (the default) up to max.
func checkRange(field string, value, max int64, isDuration bool) error {
	show := func(v int64) string {
		if isDuration {
			return time.Duration(v).String()
		}
		return strconv.FormatInt(v, 10)
	}
	switch {
	case value < 0:
		return &ConfigError{Field: field, Reason: fmt.Sprintf("is %s; must be 0 (default) or positive", show(value))}
	case value > max:
		return &ConfigError{Field: field, Reason: fmt.Sprintf("is %s; must be at most %s", show(value), show(max))}
	}
	return nil
}

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "redmux: Config." + e.Field + " " + e.Reason }

// poolConfig turns c, already validated, into the pool's configuration.
func (c Config) poolConfig() pool.Config {
	managers := c.Managers
	if managers == 0 {
		managers = DefaultManagers()
	}
	shutdown := c.ShutdownTimeout
	if shutdown == 0 {
		shutdown = DefaultShutdownTimeout
	}
	return pool.Config{
		Managers:         managers,
		ShutdownTimeout:  shutdown,
		MaxDedicated:     c.MaxDedicated,
		ReconnectWait:    c.ReconnectWait,
		DisableReadRetry: c.DisableReadRetry,
		Manager: manager.Config{
			Addr:             c.Addr,
			Dial:             c.Dial,
			DialTimeout:      c.DialTimeout,
			HandshakeTimeout: c.HandshakeTimeout,
			Handshake:        c.handshake(),
			QueueLen:         c.QueueLen,
			MaxInFlight:      c.MaxInFlight,
			MaxBatchBytes:    c.MaxBatchBytes,
			Limits:           c.Limits,
			BackoffMin:       c.BackoffMin,
			BackoffMax:       c.BackoffMax,
			StallTimeout:     c.stallTimeout(),
			PingTimeout:      c.PingTimeout,
		},
	}
}

func (c Config) stallTimeout() time.Duration {
	if c.DisableStallDetection {
		return -1
	}
	return c.StallTimeout
}

// ParseURL reads a redis://[user[:password]@]host[:port][/db] URL into a
// Config. The port defaults to 6379 and the db to 0.
func ParseURL(rawURL string) (Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Config{}, fmt.Errorf("redmux: invalid URL: %w", redactURLError(err))
	}
	if u.Scheme != "redis" {
		return Config{}, fmt.Errorf("redmux: URL scheme %q is not supported; want redis://", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "6379"
	}
	cfg := Config{Addr: net.JoinHostPort(host, port)}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if cfg.DB, err = strconv.Atoi(db); err != nil || cfg.DB < 0 {
			return Config{}, fmt.Errorf("redmux: URL database %q is not a non-negative number", db)
		}
	}
	return cfg, nil
}

// redactURLError drops the URL text, which may hold a password, from a
// parse error.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
