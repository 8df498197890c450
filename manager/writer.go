package manager

import (
	"runtime"
	"time"
)

// run is the writer goroutine, and the manager's supervisor: it serves the
// current session, replaces it when it dies, and runs the shutdown.
func (m *Manager) run(s *session) {
	defer close(m.done)
	defer func() { <-m.watchDone }() // the stall detector ends at shutdown too
	defer func() {
		// run returns only once closing is set; forceTimer is assigned
		// before shutdown closes, which may be a moment later.
		<-m.shutdown
		m.forceTimer.Stop()
	}()
	for s != nil {
		if shuttingDown := m.serve(s); shuttingDown {
			return
		}
		// Killed by the shutdown deadline: no reconnect. closing is set
		// before the deadline timer is armed, so it is visible here even
		// when the timer fired before shutdown was closed.
		if m.closing.Load() {
			m.current.Store(nil)
			m.failRemaining(ErrClosed)
			return
		}
		if m.healthy.Load() {
			m.backoff = 0
		}
		m.logLost(s)
		s = m.reconnect(s.cause)
	}
}

// serve writes queued requests to s until s dies (false) or shutdown
// begins and has finished (true).
func (m *Manager) serve(s *session) (shuttingDown bool) {
	for {
		select {
		case req := <-m.queue:
			m.writeBatch(s, req)
		case <-s.dead:
			m.teardown(s)
			return false
		case <-m.shutdown:
			m.finish(s)
			return true
		}
	}
}

// writeBatch writes first and every request queued behind it, up to
// MaxBatchBytes, in one write: automatic pipelining. When the queue runs
// dry it yields once, so callers about to enqueue can join the batch;
// when nobody does, it writes at once, so an idle client adds no latency.
func (m *Manager) writeBatch(s *session, first *Request) {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	buf := m.appendRequest(s, m.wbuf[:0], first)
	yielded := false
	for len(buf) < m.cfg.MaxBatchBytes {
		select {
		case req := <-m.queue:
			buf = m.appendRequest(s, buf, req)
			continue
		default:
		}
		if yielded {
			break
		}
		yielded = true
		runtime.Gosched()
	}
	buf = m.flush(s, buf)
	if cap(buf) <= 4*m.cfg.MaxBatchBytes {
		m.wbuf = buf
	}
}

// appendRequest appends req's bytes and pushes it onto the FIFO, so the
// FIFO order is the wire order (invariant 1). When the FIFO is full it
// first writes what is batched, so that the replies that free slots can
// come back, and waits for a slot, for the caller to give up or for the
// session to die (invariant 10). Only then is the request checked, right
// before its bytes join the batch: a request whose caller gave up is
// dropped unwritten (invariant 3). The bytes are copied before the push:
// once pushed, a request may be completed (even by a reply a misbehaving
// server sent early) and recycled, so the writer must not read it again.
func (m *Manager) appendRequest(s *session, buf []byte, req *Request) []byte {
	if !s.hasRoom() {
		buf = m.flush(s, buf)
		m.awaitRoom(s, req)
	}
	if req.gaveUp() {
		m.stats.dropped.Add(1)
		m.settle(req, errNotSent)
		return buf
	}
	if s.killed() {
		m.settle(req, s.failure(req, false))
		return buf
	}
	buf = append(buf, req.Cmd...)
	s.unanswered.Add(1)
	s.pendingBytes.Add(int64(len(req.Cmd)))
	s.batched++
	s.pushed++
	req.seq = s.pushed
	s.inflight <- req // never blocks: hasRoom held, and only the writeMu holder pushes
	s.giveToReader()  // a pushed entry always has a reader (readrole.go)
	return buf
}

// awaitRoom waits until the FIFO has room, req's caller gives up or s dies.
// The reader signals slotFreed after each completion while slotWanted is
// set; setting the flag before looking again closes the window in which a
// signal could be missed.
func (m *Manager) awaitRoom(s *session, req *Request) {
	defer s.slotWanted.Store(false)
	for {
		s.slotWanted.Store(true)
		if s.hasRoom() {
			return
		}
		select {
		case <-s.slotFreed:
		case <-req.ctxDone:
			return
		case <-s.dead:
			return
		}
	}
}

// flush writes buf in one call and returns it emptied. The requests in it
// count as written only if the write succeeded; a batch not written
// because the session had just died does not count. They are counted
// before the write and taken back if it fails: a reply can complete its
// caller before Write returns here, and a caller that has its reply must
// find its request counted.
func (m *Manager) flush(s *session, buf []byte) []byte {
	batched := s.batched
	s.batched = 0
	if len(buf) == 0 || s.killed() {
		return buf[:0]
	}
	s.attempted.Store(s.pushed)
	m.stats.written.Add(uint64(batched))
	m.stats.batches.Add(1)
	n, err := s.nc.Write(buf)
	m.stats.bytesOut.Add(uint64(n))
	if err != nil {
		m.stats.written.Add(-uint64(batched))
		s.kill(&ConnError{Op: "write", Addr: s.addr, Err: err})
	}
	return buf[:0]
}

// settle completes a request that will get no reply, with err.
func (m *Manager) settle(req *Request, err error) {
	m.load.Add(-1)
	if err != errNotSent {
		m.stats.failed.Add(1)
	}
	req.complete(err)
}

// teardown runs after s died: once the reader has exited, every entry still
// in the FIFO fails with the session's cause (invariant 8).
func (m *Manager) teardown(s *session) {
	<-s.readerDone
	m.writeMu.Lock() // a direct write in progress finishes its push first
	defer m.writeMu.Unlock()
	m.failInflight(s)
}

func (m *Manager) failInflight(s *session) {
	for {
		select {
		case req := <-s.inflight:
			m.settle(req, s.failure(req, s.wasSent(req)))
		default:
			return
		}
	}
}

// finish is the shutdown of a live session (invariant 13): write everything
// queued, wait for the replies until the deadline, close the connection and
// fail whatever is left with ErrClosed.
func (m *Manager) finish(s *session) {
	m.writeRemaining(s)
	s.lastPushed.Store(true)
	s.checkDrained()
	timer := time.NewTimer(time.Until(m.deadline))
	defer timer.Stop()
	select {
	case <-s.drained:
	case <-s.dead:
	case <-timer.C:
	}
	s.kill(ErrClosed)
	<-s.readerDone
	m.failInflight(s)
}

// writeRemaining writes the queue until it is empty and no caller is still
// on its way in. Callers check the closing flag after announcing themselves
// in enqueuers, so once both are zero nothing more can arrive.
func (m *Manager) writeRemaining(s *session) {
	for {
		select {
		case req := <-m.queue:
			m.writeBatch(s, req)
			continue
		default:
		}
		if m.enqueuers.Load() == 0 && len(m.queue) == 0 {
			return
		}
		runtime.Gosched()
	}
}

// failRemaining fails everything queued, and everything still on its way
// in, with err.
func (m *Manager) failRemaining(err error) {
	for {
		select {
		case req := <-m.queue:
			m.settle(req, err)
			continue
		default:
		}
		if m.enqueuers.Load() == 0 && len(m.queue) == 0 {
			return
		}
		runtime.Gosched()
	}
}
