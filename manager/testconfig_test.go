package manager

import (
	"context"
	"net"
	"time"
)

// testConfig fills the fields a test left zero with the values the root
// package would resolve them to: the manager itself applies no defaults.
// A negative StallTimeout turns stall detection off.
func testConfig(cfg Config) Config {
	or := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	orInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	if cfg.Network == "" {
		cfg.Network = "tcp"
	}
	if cfg.Dial == nil {
		cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
	}
	or(&cfg.DialTimeout, 5*time.Second)
	or(&cfg.HandshakeTimeout, 5*time.Second)
	or(&cfg.BackoffMin, 25*time.Millisecond)
	or(&cfg.BackoffMax, 2*time.Second)
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	or(&cfg.StallTimeout, 3*time.Second)
	or(&cfg.PingTimeout, time.Second)
	if cfg.StallTimeout < 0 {
		cfg.StallTimeout = 0
	}
	orInt(&cfg.QueueLen, 1024)
	orInt(&cfg.MaxInFlight, 4096)
	orInt(&cfg.MaxBatchBytes, 64<<10)
	cfg.Limits = cfg.Limits.Resolved()
	// Callers read their own replies whenever they can, as with more
	// than one P: every test exercises the hand-over of the reader role.
	cfg.CallerReads = true
	return cfg
}
