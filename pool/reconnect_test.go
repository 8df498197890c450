package pool

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux/internal/testwait"
)

var errMoved = errors.New("the master moved")

// TestReconnectRedialsEveryManagerAndExpiresDedicated: Reconnect makes
// every manager redial, closes the idle dedicated connections, and closes
// a lent one when it comes back instead of keeping it; connections made
// after it are kept as usual.
func TestReconnectRedialsEveryManagerAndExpiresDedicated(t *testing.T) {
	p := newPool(t, 3)
	ctx := context.Background()

	idle, err := p.Dedicated(ctx)
	require.NoError(t, err)
	idleConn := idle.Conn()
	lent, err := p.Dedicated(ctx)
	require.NoError(t, err)
	idle.Return()

	p.Reconnect(errMoved)
	testwait.Eventually(t, "every manager to redial", func() bool {
		for _, st := range p.ManagerStats() {
			if !st.Connected || st.Reconnects != 1 {
				return false
			}
		}
		return true
	})
	lentConn := lent.Conn()
	lent.Return()

	fresh, err := p.Dedicated(ctx)
	require.NoError(t, err)
	require.NotSame(t, idleConn, fresh.Conn(), "an idle connection from before Reconnect was lent again")
	require.NotSame(t, lentConn, fresh.Conn(), "a connection lent before Reconnect was kept")
	freshConn := fresh.Conn()
	fresh.Return()
	again, err := p.Dedicated(ctx)
	require.NoError(t, err)
	require.Same(t, freshConn, again.Conn(), "a connection made after Reconnect was not reused")
	again.Return()
}

// TestReconnectAfterReleaseDoesNothing: Reconnect once the pool shut down
// neither panics nor dials.
func TestReconnectAfterReleaseDoesNothing(t *testing.T) {
	p := newPool(t, 2)
	p.Release()
	p.Reconnect(errMoved)
	for _, st := range p.ManagerStats() {
		require.Zero(t, st.Reconnects)
	}
}
