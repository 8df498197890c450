package chaosproxy

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Faults is a snapshot of the fault settings. The zero value means no fault.
type Faults struct {
	Delay     time.Duration // added before forwarding each chunk read; 0 = off
	Fragment  int           // largest single write; 0 = off
	Blackhole bool          // nothing is forwarded while true
	Refuse    bool          // new connections are closed at once while true
	HoldNew   time.Duration // new connections wait this long before the target is dialled; 0 = off
}

// faultState holds the live settings. Forwarders read them with atomic loads
// before every chunk, so a change applies to existing connections at their
// next chunk.
type faultState struct {
	delay    atomic.Int64 // nanoseconds
	fragment atomic.Int64
	refuse   atomic.Bool
	holdNew  atomic.Int64 // nanoseconds

	delayMu   sync.Mutex                    // serializes delay changes
	delayWake atomic.Pointer[chan struct{}] // closed (and replaced) when the delay changes

	gateMu sync.Mutex                    // serializes blackhole changes
	gate   atomic.Pointer[chan struct{}] // non-nil while blackholed; closed when lifted
}

// SetDelay adds latency d to every chunk forwarded in each direction: a chunk
// read from the source is written on no sooner than d after it was read.
// Chunks stay in order and a direction forwards one chunk at a time, so a
// round trip takes at least 2d and throughput drops to one read buffer per d.
// With SetFragment, d is paid once per chunk read, not once per fragment.
// d <= 0 turns the delay off. Safe for concurrent use; a change also applies
// to chunks already waiting (their wait is recomputed from when they were
// read), so turning the delay off releases them at once.
func (p *Proxy) SetDelay(d time.Duration) {
	f := &p.faults
	f.delayMu.Lock()
	defer f.delayMu.Unlock()
	f.delay.Store(int64(max(d, 0)))
	wake := make(chan struct{})
	if old := f.delayWake.Swap(&wake); old != nil { // after the store: see waitDelay
		close(*old)
	}
}

// SetFragment makes forwarders write at most maxBytes per write in each
// direction (1 = one byte per write), so readers see replies split at
// arbitrary points. Loopback TCP with Nagle disabled usually delivers each
// write as its own segment, but a slow reader may still receive several
// fragments in one read. maxBytes <= 0 turns fragmentation off. Safe for
// concurrent use; applies from the next write.
func (p *Proxy) SetFragment(maxBytes int) {
	p.faults.fragment.Store(int64(max(maxBytes, 0)))
}

// SetBlackhole stalls all traffic while on. Connections are still accepted and
// kept (and dialled through to the target), but forwarders stop reading from
// their sources, so data is held — in the sender's socket buffers, with TCP
// backpressure once they fill, plus at most one chunk already read per
// direction — and nothing is lost. Turning it off releases every held
// forwarder at once, and the held data is delivered in order: clients see a
// stall followed by recovery. A write split by SetFragment may stop midway.
// DropAll and Close release held forwarders by closing their pair. Safe for
// concurrent use; turning it on twice (or off twice) is harmless.
func (p *Proxy) SetBlackhole(on bool) {
	f := &p.faults
	f.gateMu.Lock()
	defer f.gateMu.Unlock()
	gate := f.gate.Load()
	switch {
	case on && gate == nil:
		ch := make(chan struct{})
		f.gate.Store(&ch)
	case !on && gate != nil:
		f.gate.Store(nil) // before close: woken forwarders must see it lifted
		close(*gate)
	}
}

// SetRefuse makes the proxy accept new connections and close them at once,
// while on, as if the server were down (clients read EOF). Existing
// connections are unaffected; use DropAll for them. Safe for concurrent use.
func (p *Proxy) SetRefuse(on bool) {
	p.faults.refuse.Store(on)
}

// SetHoldNew makes connections accepted while it is set wait d before the
// proxy dials the target for them: the client's connect succeeds, but
// nothing it sends is answered until d has passed, as with a server slow
// to take a new client. Existing connections are unaffected. d <= 0 turns
// it off. Safe for concurrent use.
func (p *Proxy) SetHoldNew(d time.Duration) {
	p.faults.holdNew.Store(int64(max(d, 0)))
}

// Reset turns every fault off: no delay, no fragmentation, blackhole lifted
// (held data flows again), new connections accepted. It does not reconnect
// dropped pairs. Safe for concurrent use.
func (p *Proxy) Reset() {
	p.SetDelay(0)
	p.SetFragment(0)
	p.SetHoldNew(0)
	p.SetRefuse(false)
	p.SetBlackhole(false)
}

// Faults returns the current settings. Each field is read atomically, but the
// snapshot as a whole is not: a concurrent change may be half seen.
func (p *Proxy) Faults() Faults {
	return Faults{
		Delay:     time.Duration(p.faults.delay.Load()),
		Fragment:  int(p.faults.fragment.Load()),
		Blackhole: p.faults.gate.Load() != nil,
		Refuse:    p.faults.refuse.Load(),
		HoldNew:   time.Duration(p.faults.holdNew.Load()),
	}
}

// waitOpen blocks while the blackhole is on. It reports false if ctx ended
// first.
func (f *faultState) waitOpen(ctx context.Context) bool {
	for {
		gate := f.gate.Load()
		if gate == nil {
			return true
		}
		select {
		case <-*gate: // lifted; check again in case it was set again since
		case <-ctx.Done():
			return false
		}
	}
}

// waitDelay waits until the current delay has passed since readAt, starting
// over whenever the delay changes. It reports false if ctx ended first.
func (f *faultState) waitDelay(ctx context.Context, readAt time.Time) bool {
	for {
		// Load the wake channel before the delay: SetDelay stores the delay
		// before replacing the channel, so a change is never missed.
		wake := f.delayWake.Load()
		wait := time.Until(readAt.Add(time.Duration(f.delay.Load())))
		if wait <= 0 {
			return true
		}
		var changed <-chan struct{}
		if wake != nil {
			changed = *wake
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
			return true
		case <-changed:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
}

// forward copies src to dst until either fails or ctx ends, applying the
// current faults to every chunk. The caller closes both conns afterwards.
func (p *Proxy) forward(ctx context.Context, dst, src net.Conn, dir *direction) {
	buf := make([]byte, bufSize)
	for {
		// Not reading while blackholed is what applies TCP backpressure.
		if !p.faults.waitOpen(ctx) {
			return
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if p.faults.delay.Load() > 0 && !p.faults.waitDelay(ctx, time.Now()) {
				return
			}
			if !p.writeChunk(ctx, dst, buf[:n], dir) {
				return
			}
		}
		if rerr != nil {
			return
		}
	}
}

// writeChunk writes b to dst in fragments of the current maximum size,
// stopping at the blackhole gate before each one.
func (p *Proxy) writeChunk(ctx context.Context, dst net.Conn, b []byte, dir *direction) bool {
	for len(b) > 0 {
		if !p.faults.waitOpen(ctx) {
			return false
		}
		piece := b
		if limit := int(p.faults.fragment.Load()); limit > 0 && limit < len(piece) {
			piece = piece[:limit]
		}
		n, err := dst.Write(piece)
		if n > 0 {
			dir.bytes.Add(int64(n))
			dir.writes.Add(1)
		}
		if err != nil {
			return false
		}
		b = b[n:]
	}
	return true
}
