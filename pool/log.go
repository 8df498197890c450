package pool

import (
	"context"
	"log/slog"
	"time"
)

// The pool's log records (manager.Config.Logger), in the manager's style:
// nothing without a logger, never on the path of a request. A grown
// manager's own records (connected, connection lost, ...) come from the
// manager itself.
const (
	msgGrowFailed = "redmux: opening an extra connection failed"
	msgRetired    = "redmux: idle extra connection closed"
)

// logGrowFailed records a failed grow dial and how long growth pauses.
func (p *Pool) logGrowFailed(cause error) {
	if l := p.growth.cfg.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, msgGrowFailed,
			slog.String("addr", p.growth.cfg.Addr), slog.Any("cause", cause),
			slog.Duration("retry_after", growRetryAfter))
	}
}

// logRetired records the closing of an idle grown manager.
func (p *Pool) logRetired(idle time.Duration, managers int) {
	if l := p.growth.cfg.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelInfo, msgRetired,
			slog.String("addr", p.growth.cfg.Addr), slog.Duration("idle", idle),
			slog.Int("managers", managers))
	}
}
