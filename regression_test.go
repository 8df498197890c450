package redmux_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
)

// TestRegressionEmptyDoShiftsReplies: Do with no arguments used to send
// `*0\r\n`, which Redis does not answer; its FIFO entry took the next
// reply and every caller after it got the reply meant for the one before.
// Now it is refused before anything is sent, on shared and dedicated
// connections (where it used to panic).
func TestRegressionEmptyDoShiftsReplies(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1})
	require.NoError(t, err)
	defer c.Close()

	require.NoError(t, c.Set(ctx, "a", []byte("A")))
	_, err = c.Do(ctx)
	require.ErrorIs(t, err, redmux.ErrEmptyCommand)
	got, _, err := c.Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "A", string(got))

	err = c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		_, err := conn.Do(ctx)
		return err
	})
	assert.ErrorIs(t, err, redmux.ErrEmptyCommand)
}

// TestRegressionCloseInsideDedicatedDeadlocks: closing the last handle
// waited for every dedicated lease to come back, so a Close called by the
// function holding a lease never returned.
func TestRegressionCloseInsideDedicatedDeadlocks(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		done <- c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			if _, err := conn.Do(ctx, "PING"); err != nil {
				return err
			}
			return c.Close()
		})
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close inside Dedicated never returned")
	}
	assert.ErrorIs(t, c.Ping(ctx), redmux.ErrClosed)
}
