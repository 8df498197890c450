package redmux

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseURL reads a URL into a Config:
//
//	redis://[[user]:password@]host[:port][/db][?key=value&...]
//	rediss://...                      the same, over TLS
//	unix://[[user]:password@]/path/to/redis.sock[?key=value&...]
//
// The port defaults to 6379 and the db to 0. For rediss:// the Config gets
// a TLSConfig verifying the server against the system's roots, with the
// host as ServerName; add RootCAs or client certificates to it as needed.
// The query keys are:
//
//	db                 the database, as the path does (not both)
//	protocol           2 or 3 (Config.Protocol)
//	client_name        Config.ClientName
//	managers           Config.Managers
//	max_managers       Config.MaxManagers
//	dial_timeout       Config.DialTimeout      durations: "500ms", "3s";
//	handshake_timeout  Config.HandshakeTimeout a bare number is seconds
//	command_timeout    Config.CommandTimeout
//	reconnect_wait     Config.ReconnectWait
//	shutdown_timeout   Config.ShutdownTimeout
//	max_dedicated      Config.MaxDedicated
//
// An unknown key, a key given twice, a bad value or an unsupported scheme is
// a *ConfigError naming it. No error repeats the password.
func ParseURL(rawURL string) (Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Config{}, &ConfigError{Field: "URL", Reason: "is not a valid URL: " + redactURLError(err).Error()}
	}
	var cfg Config
	switch u.Scheme {
	case "redis", "rediss":
		if cfg, err = parseTCPURL(u); err != nil {
			return Config{}, err
		}
	case "unix":
		if u.Host != "" {
			return Config{}, &ConfigError{Field: "URL", Reason: fmt.Sprintf("unix:// takes no host (got %q): write unix:///path/to/redis.sock", u.Host)}
		}
		if u.Path == "" {
			return Config{}, &ConfigError{Field: "URL", Reason: "unix:// needs a socket path, as in unix:///run/redis.sock"}
		}
		cfg = Config{Network: "unix", Addr: u.Path}
	default:
		return Config{}, &ConfigError{Field: "URL", Reason: fmt.Sprintf("has scheme %q; want redis://, rediss:// or unix://", u.Scheme)}
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	if strings.Trim(u.Path, "/") != "" && u.Scheme != "unix" && u.Query().Has("db") {
		return Config{}, &ConfigError{Field: "URL", Reason: "gives the database in both the path and the query"}
	}
	if err := applyQuery(&cfg, u.RawQuery); err != nil {
		return Config{}, err
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// parseTCPURL reads the host, port, db path and TLS of a redis:// or
// rediss:// URL.
func parseTCPURL(u *url.URL) (Config, error) {
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "6379"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Config{}, &ConfigError{Field: "URL", Reason: fmt.Sprintf("has port %q; want 1 to 65535", port)}
	}
	cfg := Config{Addr: net.JoinHostPort(host, port)}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return Config{}, &ConfigError{Field: "DB", Reason: fmt.Sprintf("is %q in the URL path; want a non-negative number", db)}
		}
		cfg.DB = n
	}
	if u.Scheme == "rediss" {
		cfg.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return cfg, nil
}

// urlKeys maps each query key to what it sets.
var urlKeys = map[string]func(cfg *Config, value string) error{
	"db":                func(cfg *Config, v string) error { return parseInt(&cfg.DB, v) },
	"protocol":          func(cfg *Config, v string) error { return parseInt(&cfg.Protocol, v) },
	"client_name":       func(cfg *Config, v string) error { cfg.ClientName = v; return nil },
	"managers":          func(cfg *Config, v string) error { return parseInt(&cfg.Managers, v) },
	"max_managers":      func(cfg *Config, v string) error { return parseInt(&cfg.MaxManagers, v) },
	"max_dedicated":     func(cfg *Config, v string) error { return parseInt(&cfg.MaxDedicated, v) },
	"dial_timeout":      func(cfg *Config, v string) error { return parseDuration(&cfg.DialTimeout, v) },
	"handshake_timeout": func(cfg *Config, v string) error { return parseDuration(&cfg.HandshakeTimeout, v) },
	"command_timeout":   func(cfg *Config, v string) error { return parseDuration(&cfg.CommandTimeout, v) },
	"reconnect_wait":    func(cfg *Config, v string) error { return parseDuration(&cfg.ReconnectWait, v) },
	"shutdown_timeout":  func(cfg *Config, v string) error { return parseDuration(&cfg.ShutdownTimeout, v) },
}

// applyQuery applies the URL's query keys to cfg.
func applyQuery(cfg *Config, rawQuery string) error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return &ConfigError{Field: "URL", Reason: "has an invalid query: " + err.Error()}
	}
	for key, values := range q {
		set, ok := urlKeys[key]
		if !ok {
			return &ConfigError{Field: "URL", Reason: fmt.Sprintf("has the unknown query key %q", key)}
		}
		if len(values) != 1 {
			return &ConfigError{Field: "URL", Reason: fmt.Sprintf("gives the query key %q %d times", key, len(values))}
		}
		if err := set(cfg, values[0]); err != nil {
			return &ConfigError{Field: "URL", Reason: fmt.Sprintf("query key %s=%q: %v", key, values[0], err)}
		}
	}
	return nil
}

func parseInt(dst *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want an integer")
	}
	*dst = n
	return nil
}

// parseDuration reads a Go duration ("250ms", "3s") or a bare number of
// seconds ("3", "0.5").
func parseDuration(dst *time.Duration, v string) error {
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > limitDuration.Seconds() {
			return fmt.Errorf("want a duration from 0 to %v", limitDuration)
		}
		*dst = time.Duration(secs * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want a duration such as 500ms or 3s")
	}
	*dst = d
	return nil
}

// redactURLError drops the URL text, which may hold a password, from a
// parse error.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// isURL reports whether addr given to Connect is a URL rather than
// host:port.
func isURL(addr string) bool { return strings.Contains(addr, "://") }
