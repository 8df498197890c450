package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

// TestRegressionEmptyDoShiftsReplies: Do with no arguments used to send
// `*0\r\n`, which Redis does not answer; its FIFO entry took the next
// reply and every caller after it got the reply meant for the one before.
// Do now takes the command name as a separate string, so an empty Do does
// not compile; an empty name is sent and refused by the server, and an
// empty pipeline entry is refused before anything is sent.
func TestRegressionEmptyDoShiftsReplies(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1})
	require.NoError(t, err)
	defer c.Close()

	require.NoError(t, c.Set(ctx, "a", []byte("A")))
	// Do takes the name apart, so Do(ctx) no longer compiles; an empty
	// name reaches the server, which refuses it, without shifting replies.
	_, err = c.Do(ctx, "")
	var rerr *redmux.RedisError
	require.ErrorAs(t, err, &rerr)
	_, err = c.Pipeline(ctx, []any{"GET", "a"}, []any{})
	require.ErrorIs(t, err, redmux.ErrEmptyCommand)
	got, _, err := c.Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "A", string(got))

	err = c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		if _, err := conn.Do(ctx, ""); !errors.As(err, &rerr) {
			return fmt.Errorf("Do(\"\") on a dedicated connection: %v, want a *RedisError", err)
		}
		got, _, err := conn.Get(ctx, "a")
		if err != nil || string(got) != "A" {
			return fmt.Errorf("Get after an empty command: %q, %v", got, err)
		}
		return nil
	})
	assert.NoError(t, err)
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
	require.NoError(t, testwait.WaitFor(t, done, "Close inside Dedicated to return"))
	assert.ErrorIs(t, c.Ping(ctx), redmux.ErrClosed)
}
