package redmux

import (
	"context"
	"log/slog"
)

// A Subscription back on a new connection is logged (Config.Logger) once
// the server has answered every name the resubscription sent. It sends one
// command per name before the connection is handed to callers, and the
// server answers in order, so the first confirmations and error replies
// read on the new connection are its answers, whatever callers send next.

// resubscription counts the answers a resubscription awaits. It is kept
// only with a logger, under the Subscription's mu.
type resubscription struct {
	addr    string // the server's
	active  bool   // sent, and not every answer is in
	pending int    // answers still to come
	sent    [kindCount]int
	refused int
}

// startResubscription notes that sent names of each kind were just sent
// on a new connection to addr. The caller holds mu.
func (s *Subscription) startResubscription(addr string, sent [kindCount]int) {
	if s.log == nil {
		return
	}
	s.resub = resubscription{addr: addr, active: true, sent: sent}
	for _, n := range sent {
		s.resub.pending += n
	}
}

// answered counts a confirmation of a subscribe, or an error reply, which
// may answer the resubscription in progress.
func (s *Subscription) answered(refused bool) { s.tally(1, refused) }

// resubscribed runs once the new connection is in use: a resubscription
// that sent nothing is over at once.
func (s *Subscription) resubscribed() { s.tally(0, false) }

// tally counts answers to the resubscription in progress, if any, and logs
// it once the last is in (outside mu: a handler may be slow).
func (s *Subscription) tally(answers int, refused bool) {
	if s.log == nil {
		return
	}
	s.mu.Lock()
	r := &s.resub
	if !r.active {
		s.mu.Unlock()
		return
	}
	r.pending -= min(answers, r.pending)
	if refused {
		r.refused++
	}
	done := r.pending == 0
	if done {
		r.active = false
	}
	summary := *r
	s.mu.Unlock()
	if done {
		s.logResubscribed(summary)
	}
}

// logResubscribed records a finished resubscription.
func (s *Subscription) logResubscribed(r resubscription) {
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "redmux: resubscribed",
		slog.String("addr", r.addr),
		slog.Int("channels", r.sent[kindChannel]), slog.Int("patterns", r.sent[kindPattern]),
		slog.Int("shard_channels", r.sent[kindShard]), slog.Int("refused", r.refused))
}
