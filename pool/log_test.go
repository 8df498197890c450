package pool

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/logtest"
	"github.com/redmux/redmux/manager"
)

// TestLogGrowthRecordsAFailedDialAndAnIdleClose: a grow dial that fails is
// one Warn record with its cause and the pause; closing an idle grown
// manager is one Info record with how many managers are left.
func TestLogGrowthRecordsAFailedDialAndAnIdleClose(t *testing.T) {
	rec, logger := logtest.New()
	srv := fakeredis.Silent(t)
	p := startPool(t, srv, Config{Managers: 1, MaxManagers: 2, IdleTimeout: 10 * time.Millisecond, ShutdownTimeout: time.Second,
		Manager: manager.Config{Logger: logger}})

	refusal := errors.New("refused for the test")
	srv.SetDialHook(func(context.Context, int) error { return refusal })
	load(t, p.all()[0])
	p.pick()
	failed := rec.WaitFor(t, msgGrowFailed, 1)[0]
	require.Equal(t, slog.LevelWarn, failed.Level)
	require.ErrorIs(t, failed.Err("cause"), refusal)
	require.Equal(t, growRetryAfter, failed.Attrs["retry_after"].Duration())

	srv.SetDialHook(nil)
	p.growth.notBefore.Store(0) // as if the pause were over
	p.pick()                    // opens the manager that, idle, is closed
	closed := rec.WaitFor(t, msgRetired, 1)[0]
	require.Equal(t, slog.LevelInfo, closed.Level)
	require.Equal(t, int64(1), closed.Attrs["managers"].Int64())
	require.Equal(t, 1, rec.Count(msgGrowFailed))
}
