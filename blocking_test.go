package redmux_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
)

// Blocking commands given to Do: the time they are granted.

// TestCommandTimeoutBoundsBlockingCommands: a blocking command given to Do
// may take its own timeout plus CommandTimeout, no more. CommandTimeout
// used to be ignored for blocking commands: against a server that never
// answers, BLPOP k 1 hung for as long as the caller's context allowed.
func TestCommandTimeoutBoundsBlockingCommands(t *testing.T) {
	srv := fakeredis.Silent(t, fakeredis.AnswerHandshake())
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	const commandTimeout = 100 * time.Millisecond
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1, CommandTimeout: commandTimeout})
	require.NoError(t, err)
	defer c.Close()

	start := time.Now()
	_, err = c.Do(context.Background(), "BLPOP", "k", "0.5")
	elapsed := time.Since(start)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, elapsed, 500*time.Millisecond, "the command's own timeout is granted")
	assert.Less(t, elapsed, 500*time.Millisecond+commandTimeout+2*time.Second)
}

// TestCommandTimeoutGrantsBlockingTimeout: on a real server, a BLPOP that
// times out on its own returns its null reply, not a context error, though
// it outlasts CommandTimeout.
func TestCommandTimeoutGrantsBlockingTimeout(t *testing.T) {
	forEachBackend(t, redmux.Config{CommandTimeout: 500 * time.Millisecond}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		v, err := c.Do(context.Background(), "BLPOP", "empty-list", "0.2")
		require.NoError(t, err)
		assert.True(t, v.IsNull())
	})
}
