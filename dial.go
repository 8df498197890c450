package redmux

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// DefaultKeepAlive is the TCP keep-alive period of connections dialed
// without a Config.Dial.
const DefaultKeepAlive = 15 * time.Second

func dialKeepAlive(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: DefaultKeepAlive}
	return d.DialContext(ctx, network, addr)
}

// connDialer returns what opens every connection of a resolved c: its
// Dial, then a TLS handshake over the result when TLSConfig is set (and
// Dial did not return a TLS connection already). The TLS handshake is
// bounded by the dial's context, so by DialTimeout.
func (c Config) connDialer() dialFunc {
	return c.hookedDial(tlsOver(c.Dial, c.TLSConfig))
}

// dialFunc opens a connection; Config.Dial has its shape.
type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// tlsOver returns dial with a TLS handshake over each connection it opens,
// unless it is one already; with a nil tlsConfig, dial itself. An empty
// ServerName is taken from the host each dial goes to.
func tlsOver(dial dialFunc, tlsConfig *tls.Config) dialFunc {
	if tlsConfig == nil {
		return dial
	}
	tlsConfig = tlsConfig.Clone()
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if _, isTLS := nc.(*tls.Conn); isTLS {
			return nc, nil
		}
		tc := tls.Client(nc, withServerName(tlsConfig, network, addr))
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, explainTLS(err)
		}
		return tc, nil
	}
}

// withServerName returns cfg, or a copy of it whose empty ServerName is
// the host of a TCP addr.
func withServerName(cfg *tls.Config, network, addr string) *tls.Config {
	if cfg.ServerName != "" || network == "unix" {
		return cfg
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return cfg
	}
	cfg = cfg.Clone()
	cfg.ServerName = host
	return cfg
}

// explainTLS adds a hint to a failed TLS handshake when the likely cause is
// a port that does not speak TLS.
func explainTLS(err error) error {
	var header tls.RecordHeaderError
	switch {
	case errors.As(err, &header):
		return fmt.Errorf("TLS handshake: the server did not answer in TLS (is TLS enabled on that port?): %w", err)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("TLS handshake: no answer (does the port speak TLS?): %w", err)
	}
	return fmt.Errorf("TLS handshake: %w", err)
}
