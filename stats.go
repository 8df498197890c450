package redmux

import "github.com/redmux/redmux/manager"

// ManagerStats is a snapshot of one manager: its queue, in-flight count,
// load, and totals of requests written, batches, bytes, completions,
// failures, drops and reconnects. AvgBatch is requests per write.
type ManagerStats = manager.Stats

// Stats is a snapshot of every manager behind a Client.
type Stats struct {
	// Managers has one entry per manager: first the Config.Managers ones
	// New dialed, then those opened since, up to Config.MaxManagers.
	Managers []ManagerStats
	// Rerouted counts requests that were never sent when their
	// connection failed and went to another connection.
	Rerouted uint64
	// Retried counts read-only requests sent once more because their
	// connection failed after they were sent.
	Retried uint64
}

// Total adds up the counters of every manager.
func (s Stats) Total() ManagerStats {
	var t ManagerStats
	for _, m := range s.Managers {
		t.Connected = t.Connected || m.Connected
		t.Queued += m.Queued
		t.InFlight += m.InFlight
		t.Load += m.Load
		t.Written += m.Written
		t.Batches += m.Batches
		t.BytesOut += m.BytesOut
		t.BytesIn += m.BytesIn
		t.Completed += m.Completed
		t.Failed += m.Failed
		t.Dropped += m.Dropped
		t.Reconnects += m.Reconnects
		t.Pushes += m.Pushes
		t.Stalls += m.Stalls
	}
	return t
}

// Stats returns a snapshot of every manager. It is safe to call at any
// time, also on a closed handle.
func (c *Client) Stats() Stats {
	return Stats{Managers: c.pool.ManagerStats(), Rerouted: c.pool.Rerouted(), Retried: c.pool.Retried()}
}
