package chaosproxy

import "sync/atomic"

// Stats counts what the proxy has done since New, for a chaos report. Counters
// only grow, except Active.
type Stats struct {
	Accepted   int64 // connections accepted by the listener, refused ones included
	Refused    int64 // accepted and closed at once because SetRefuse was on
	DialFailed int64 // pairs closed because the target could not be dialled
	Dropped    int64 // pairs closed by DropAll
	Active     int   // pairs whose goroutines are still running

	BytesUp    int64 // bytes written to the target (client to target)
	BytesDown  int64 // bytes written to clients (target to client)
	WritesUp   int64 // writes to the target: more than reads with SetFragment
	WritesDown int64 // writes to clients
}

// counters are the live, atomically updated counts behind Stats.
type counters struct {
	accepted   atomic.Int64
	refused    atomic.Int64
	dialFailed atomic.Int64
	dropped    atomic.Int64
	up, down   direction
}

// direction counts one direction of traffic, summed over all pairs.
type direction struct {
	bytes  atomic.Int64 // counted after each write, so may trail the peer's read
	writes atomic.Int64
}

// Stats returns the current counts. Each counter is read atomically, but the
// snapshot as a whole is not: counters move while it is taken. Byte counts
// are updated just after each write returns, so a peer may read bytes a
// moment before they are counted. Safe for concurrent use.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	active := len(p.pairs)
	p.mu.Unlock()
	return Stats{
		Accepted:   p.stats.accepted.Load(),
		Refused:    p.stats.refused.Load(),
		DialFailed: p.stats.dialFailed.Load(),
		Dropped:    p.stats.dropped.Load(),
		Active:     active,
		BytesUp:    p.stats.up.bytes.Load(),
		BytesDown:  p.stats.down.bytes.Load(),
		WritesUp:   p.stats.up.writes.Load(),
		WritesDown: p.stats.down.writes.Load(),
	}
}
