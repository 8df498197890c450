package manager

import "sync/atomic"

// counters are the manager's running totals, updated atomically by the
// writer and reader goroutines.
type counters struct {
	written    atomic.Uint64 // requests written (pipelines count once)
	batches    atomic.Uint64 // write calls
	bytesOut   atomic.Uint64
	bytesIn    atomic.Uint64
	completed  atomic.Uint64 // requests answered by the server
	failed     atomic.Uint64 // requests failed by connection errors or shutdown
	dropped    atomic.Uint64 // requests skipped because their caller gave up
	reconnects atomic.Uint64
	pushes     atomic.Uint64 // push frames received
	stalls     atomic.Uint64 // connections declared dead by stall detection
}

// Stats is a snapshot of one manager. Counters are totals since the
// manager started; Queued, InFlight and Load are instantaneous.
type Stats struct {
	Addr       string
	Connected  bool
	Queued     int    // requests waiting for the writer
	InFlight   int    // requests written and waiting for their reply
	Load       int64  // queued + unanswered, as the pool sees it
	Written    uint64 // requests written
	Batches    uint64 // write calls that carried them
	BytesOut   uint64
	BytesIn    uint64
	Completed  uint64 // requests answered
	Failed     uint64 // requests failed by a connection error or shutdown
	Dropped    uint64 // requests never written because their caller gave up
	Reconnects uint64
	Pushes     uint64
	Stalls     uint64 // connections declared dead by stall detection
}

// AvgBatch is the mean number of requests per write: pipelining at work.
func (s Stats) AvgBatch() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Written) / float64(s.Batches)
}

// Stats returns a snapshot of the manager's counters. It is safe to call
// at any time from any goroutine.
func (m *Manager) Stats() Stats {
	st := Stats{
		Addr:       m.cfg.Addr,
		Connected:  m.Connected(),
		Queued:     len(m.queue),
		Load:       m.load.Load(),
		Written:    m.stats.written.Load(),
		Batches:    m.stats.batches.Load(),
		BytesOut:   m.stats.bytesOut.Load(),
		BytesIn:    m.stats.bytesIn.Load(),
		Completed:  m.stats.completed.Load(),
		Failed:     m.stats.failed.Load(),
		Dropped:    m.stats.dropped.Load(),
		Reconnects: m.stats.reconnects.Load(),
		Pushes:     m.stats.pushes.Load(),
		Stalls:     m.stats.stalls.Load(),
	}
	if s := m.current.Load(); s != nil {
		st.InFlight = len(s.inflight)
	}
	return st
}
