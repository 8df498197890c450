//go:build !race

// The race detector allocates on its own: built without it, as the root
// package's allocation budget is.

package manager

import (
	"errors"
	"testing"
	"time"
)

// TestLogSitesCostNothingWithoutLogger: with Config.Logger nil, every
// logging function of the manager returns without allocating.
func TestLogSitesCostNothingWithoutLogger(t *testing.T) {
	m := &Manager{cfg: Config{Addr: testAddr, StallTimeout: time.Second, PingTimeout: time.Second}}
	s := &session{addr: testAddr, cause: errRefused}
	err := errors.New("cause")
	allocs := testing.AllocsPerRun(100, func() {
		m.logConnected(s)
		m.logLost(s)
		m.logAttemptFailed(3, err, time.Second)
		m.logReconnected(s, outage{cause: err, since: time.Now(), attempts: 2})
		m.logStalled(s, time.Second)
		logHandshakeFailed(m.cfg.Logger, testAddr, err)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per round of logging sites without a logger, want 0", allocs)
	}
}
