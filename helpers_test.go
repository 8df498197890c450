package redmux_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

// Helpers shared by the root package's tests.

// testTimeout bounds every test's context: nothing here may hang.
const testTimeout = 30 * time.Second

// backend is a server the end-to-end tests run against, and the protocol
// to speak to it.
type backend struct {
	name     string
	addr     string
	protocol int
}

// backends starts a miniredis and a real redis-server for one test; the
// real server is spoken to in RESP3 and in RESP2.
func backends(t *testing.T) []backend {
	t.Helper()
	mini := miniredis.RunT(t)
	real := redistest.StartT(t)
	return []backend{
		{"miniredis", mini.Addr(), 0},
		{"redis-server/RESP3", real.Addr, 3},
		{"redis-server/RESP2", real.Addr, 2},
	}
}

// forEachBackend runs fn as a subtest against each backend with a fresh
// client, closed (and checked for leaks) at the end.
func forEachBackend(t *testing.T, cfg redmux.Config, fn func(t *testing.T, ctx context.Context, c *redmux.Client)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			cfg := cfg
			cfg.Addr, cfg.Protocol = b.addr, b.protocol
			before := goleak.IgnoreCurrent()
			c, err := redmux.New(ctx, cfg)
			require.NoError(t, err)
			if b.protocol != 0 {
				require.Equal(t, b.protocol, c.Protocol())
			}
			_, _ = c.Do(ctx, "FLUSHDB") // the RESP3 and RESP2 runs share the server
			defer func() {
				require.NoError(t, c.Close())
				goleak.VerifyNone(t, before)
			}()
			fn(t, ctx, c)
		})
	}
}

// waitUntilBlockedIn waits until a goroutine is inside a function whose
// name contains fn: the state has no event to wait on.
func waitUntilBlockedIn(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	testwait.Eventually(t, "a goroutine to reach "+fn, func() bool {
		n := runtime.Stack(buf, true)
		return strings.Contains(string(buf[:n]), fn)
	})
}
