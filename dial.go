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
func (c Config) connDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := c.Dial
	if c.TLSConfig == nil {
		return dial
	}
	tlsConfig := c.TLSConfig.Clone()
	if tlsConfig.ServerName == "" && c.Network != "unix" {
		if host, _, err := net.SplitHostPort(c.Addr); err == nil {
			tlsConfig.ServerName = host
		}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if _, isTLS := nc.(*tls.Conn); isTLS {
			return nc, nil
		}
		tc := tls.Client(nc, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, explainTLS(err)
		}
		return tc, nil
	}
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
