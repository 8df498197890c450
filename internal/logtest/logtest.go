// Package logtest records what a *slog.Logger is given, for tests that
// check the client's log records: a slog.Handler that keeps every record,
// under a mutex, with its attributes and the text a slog.TextHandler
// makes of it. It uses only the standard library and testwait, so the
// tests of every layer may import it.
package logtest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/redmux/redmux/internal/testwait"
)

// Record is one record a Recorder received.
type Record struct {
	Level   slog.Level
	Message string
	// Attrs holds the record's attributes (and the logger's, from With)
	// by key, resolved.
	Attrs map[string]slog.Value
	// Text is the record as slog.TextHandler writes it, without the time:
	// what an operator would read.
	Text string
}

// Err returns the attribute key as an error, or nil if it holds none.
func (r Record) Err(key string) error {
	err, _ := r.Attrs[key].Any().(error)
	return err
}

// Recorder keeps every record its loggers handle. It is safe for
// concurrent use, as a slog.Handler must be.
type Recorder struct {
	mu      sync.Mutex
	records []Record
}

// New returns a Recorder and a logger, enabled at every level, whose
// records it keeps.
func New() (*Recorder, *slog.Logger) {
	r := &Recorder{}
	return r, slog.New(&handler{rec: r})
}

// Records returns every record so far, in the order they were handled.
func (r *Recorder) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.records...)
}

// Find returns the records whose message is msg.
func (r *Recorder) Find(msg string) []Record {
	var out []Record
	for _, rec := range r.Records() {
		if rec.Message == msg {
			out = append(out, rec)
		}
	}
	return out
}

// Count returns how many records have the message msg.
func (r *Recorder) Count(msg string) int { return len(r.Find(msg)) }

// WaitFor waits until at least n records have the message msg, failing
// the test after testwait.Limit, and returns them.
func (r *Recorder) WaitFor(tb testing.TB, msg string, n int) []Record {
	tb.Helper()
	testwait.Eventually(tb, "log records "+msg, func() bool { return r.Count(msg) >= n })
	return r.Find(msg)
}

func (r *Recorder) add(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
}

// handler is the slog.Handler of a Recorder's loggers: the attributes of
// With, then those of each record.
type handler struct {
	rec   *Recorder
	attrs []slog.Attr
	group string // the prefix of WithGroup, with its dot
}

func (h *handler) Enabled(context.Context, slog.Level) bool { return true }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	rec := Record{Level: r.Level, Message: r.Message, Attrs: map[string]slog.Value{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = a.Value.Resolve()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[h.group+a.Key] = a.Value.Resolve()
		return true
	})
	rec.Text = text(h, r)
	h.rec.add(rec)
	return nil
}

// text renders r as slog.TextHandler does, leaving the time out.
func text(h *handler, r slog.Record) string {
	var buf bytes.Buffer
	omitTime := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	var th slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: omitTime})
	th = th.WithAttrs(h.attrs)
	_ = th.Handle(context.Background(), r)
	return buf.String()
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		a.Key = h.group + a.Key
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	return &c
}
