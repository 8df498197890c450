package pool

import (
	"context"
	"net"
	"time"
)

// testConfig fills what a test left zero with working values: the pool
// and its managers apply no defaults (the root package resolves them).
func testConfig(cfg Config) Config {
	if cfg.MaxDedicated == 0 {
		cfg.MaxDedicated = 4
	}
	if cfg.ReconnectWait == 0 {
		cfg.ReconnectWait = 5 * time.Second
	}
	m := &cfg.Manager
	if m.Network == "" {
		m.Network = "tcp"
	}
	if m.Dial == nil {
		m.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	}
	if m.DialTimeout == 0 {
		m.DialTimeout = 5 * time.Second
	}
	if m.HandshakeTimeout == 0 {
		m.HandshakeTimeout = 5 * time.Second
	}
	if m.BackoffMin == 0 {
		m.BackoffMin, m.BackoffMax = 25*time.Millisecond, max(m.BackoffMax, 25*time.Millisecond)
	}
	if m.QueueLen == 0 {
		m.QueueLen, m.MaxInFlight, m.MaxBatchBytes = 1024, 4096, 64<<10
	}
	m.Limits = m.Limits.Resolved()
	return cfg // StallTimeout 0: stall detection off
}
