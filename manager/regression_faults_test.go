package manager

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/testwait"
)

// TestRegressionShutdownAtDeadlineReconnects: Shutdown arms its deadline
// timer before it closes m.shutdown. With a deadline already reached (a
// tiny ShutdownTimeout, or Shutdown(time.Now()) as pool.New's failure path
// and the tests use), forceClose can kill the session first; the writer
// then sees a dead session while shutdown is not yet visible, and
// reconnects: it stores ErrClosed in lastErr, which panics ("store of
// inconsistently typed value into Value") when an earlier reconnect stored
// a *ConnError there, and otherwise may dial a new connection after
// Shutdown. The run's deferred m.forceTimer.Stop() then races with the
// assignment in Shutdown (nil dereference on the panic path).
func TestRegressionShutdownAtDeadlineReconnects(t *testing.T) {
	for i := range 300 {
		srv := newEchoServer(t)
		var shutdown atomic.Bool
		var lateDials atomic.Int32
		srv.SetDialHook(func(ctx context.Context, n int) error {
			if shutdown.Load() {
				lateDials.Add(1)
			}
			return nil
		})
		m, err := New(testContext(t), testConfig(Config{Addr: testAddr, Dial: srv.Dial}))
		if err != nil {
			t.Fatal(err)
		}
		// One reconnect, so that lastErr holds a *ConnError.
		srv.Accept(t).Close()
		srv.Accept(t)
		testwait.Eventually(t, "the reconnect", func() bool { return m.Connected() && m.Stats().Reconnects == 1 })

		shutdown.Store(true)
		m.Shutdown(time.Now())
		testwait.WaitWithin(t, shutdownGrace, m.Done(), "the manager to stop")
		if n := lateDials.Load(); n > 0 {
			t.Fatalf("iteration %d: the manager dialed %d time(s) after Shutdown", i, n)
		}
		if st := m.Stats(); st.Reconnects != 1 {
			t.Fatalf("iteration %d: %d reconnects, want 1: it reconnected during shutdown", i, st.Reconnects)
		}
	}
}

// TestRegressionTinyStallTimeoutPanics: a StallTimeout of 1-3ns passes
// validation (it is positive) but the stall detector's tick is
// StallTimeout/4 == 0, and time.NewTicker(0) panics on the manager's
// goroutine, which kills the process.
func TestRegressionTinyStallTimeoutPanics(t *testing.T) {
	srv := newEchoServer(t)
	newManager(t, srv, Config{StallTimeout: 3}) // 3ns: valid (positive) but StallTimeout/4 == 0
}
