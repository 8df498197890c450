package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/internal/testwait"
)

// TestInvariant11StatefulCommandsStayOffSharedManagers: a BLPOP waiting on
// an empty list does not stall the shared pipeline; connection-state
// commands are refused by Do and work inside Dedicated.
func TestInvariant11StatefulCommandsStayOffSharedManagers(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1})
	require.NoError(t, err)
	defer c.Close()

	popped := make(chan redmux.Value, 1)
	go func() {
		v, err := c.Do(ctx, "blpop", "queue", 0) // blocks until a push
		assert.NoError(t, err)
		popped <- v
	}()
	// The one shared manager keeps serving while BLPOP blocks.
	for range 100 {
		require.NoError(t, c.Ping(ctx))
	}
	testwait.Eventually(t, "BLPOP to wait on its own connection", func() bool {
		v, err := c.Do(ctx, "CLIENT", "LIST")
		require.NoError(t, err)
		s, _ := v.Text()
		return strings.Contains(s, "cmd=blpop")
	})
	_, err = c.Do(ctx, "RPUSH", "queue", "job")
	require.NoError(t, err)
	v := testwait.WaitFor(t, popped, "BLPOP to return")
	elems, err := v.Array()
	require.NoError(t, err)
	job, _ := elems[1].Text()
	assert.Equal(t, "job", job)

	for _, args := range [][]any{{"MULTI"}, {"watch", "k"}, {"SUBSCRIBE", "ch"}, {"SELECT", 1}, {"CLIENT", "REPLY", "OFF"}} {
		_, err := c.Do(ctx, args[0].(string), args[1:]...)
		assert.ErrorIs(t, err, redmux.ErrNeedsDedicated, "%v", args)
	}
}

func TestDedicatedTransaction(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr})
	require.NoError(t, err)
	defer c.Close()

	require.NoError(t, c.Set(ctx, "balance", []byte("10")))
	err = c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		if _, err := conn.Do(ctx, "WATCH", "balance"); err != nil {
			return err
		}
		if _, err := conn.Do(ctx, "MULTI"); err != nil {
			return err
		}
		if _, err := conn.Do(ctx, "INCRBY", "balance", 5); err != nil {
			return err
		}
		v, err := conn.Do(ctx, "EXEC")
		if err != nil {
			return err
		}
		results, err := v.Array()
		if err != nil {
			return err
		}
		n, _ := results[0].Int64()
		assert.EqualValues(t, 15, n)
		return nil
	})
	require.NoError(t, err)

	// A blocked call on a dedicated connection ends with its context.
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	_, err = c.Do(short, "BLPOP", "empty", 0)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	require.NoError(t, c.Ping(ctx))
}

// TestDedicatedInterruptedByLastClose: closing the last handle does not
// wait for a BLPOP that would block forever.
func TestDedicatedInterruptedByLastClose(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr})
	require.NoError(t, err)
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Dedicated(context.Background(), func(conn *redmux.DedicatedConn) error {
			close(started)
			_, err := conn.Do(context.Background(), "BLPOP", "never", 0)
			return err
		})
	}()
	testwait.WaitFor(t, started, "the dedicated call to start")
	require.NoError(t, c.Close())
	assert.ErrorIs(t, testwait.WaitFor(t, done, "the blocked call to be interrupted"), redmux.ErrClosed)
	assert.ErrorIs(t, c.Dedicated(ctx, func(*redmux.DedicatedConn) error { return nil }), redmux.ErrClosed)
}

// TestReceiveTimeoutLeavesConnectionUsable: a Receive whose context ends
// before a value arrives returns the context's error and the next Receive
// works. It used to mark the connection broken, and the next call failed
// with "dedicated connection is broken". (Pub/sub now has Subscription;
// MONITOR is what a dedicated connection still receives from.)
func TestReceiveTimeoutLeavesConnectionUsable(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		err := c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			if _, err := conn.Do(ctx, "MONITOR"); err != nil {
				return err
			}
			for range 3 {
				short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				_, err := conn.Receive(short)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					return fmt.Errorf("Receive with nothing to read: %v, want DeadlineExceeded", err)
				}
			}
			if err := c.Set(ctx, prefix+"monitored", []byte("v")); err != nil {
				return err
			}
			v, err := conn.Receive(ctx)
			if err != nil {
				return err
			}
			line, _ := v.Text()
			assert.Contains(t, line, prefix+"monitored")
			return nil
		})
		require.NoError(t, err)
	})
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
