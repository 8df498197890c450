package redmux

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

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
