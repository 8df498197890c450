// Package chaosproxy is a loopback TCP proxy for fault-injection tests. It sits
// between a client and a real server (both on 127.0.0.1) and can, at any time,
// drop every connection, add latency, split the byte stream into tiny writes,
// stall all traffic, or refuse new connections.
//
// Each accepted connection is paired with one connection to the target. A pair
// runs two goroutines, one per direction ("up" is client to target, "down" is
// target to client). Closing either side closes both, and so does a half-close
// (EOF) from either side. Every blocking point of
// those goroutines (read, write, delay, blackhole hold, dial) is released by
// DropAll or Close, and Close returns only after every goroutine the proxy
// started has exited.
//
// All methods of *Proxy are safe for concurrent use by any number of
// goroutines. Fault settings take effect on existing and new connections: a
// forwarder reads the settings again before every chunk it forwards.
package chaosproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

const (
	// bufSize is the size of each direction's read buffer: the largest chunk
	// a forwarder reads from its source at once.
	bufSize = 32 << 10
	// dialTimeout bounds each dial to the target.
	dialTimeout = 5 * time.Second
	// maxAcceptBackoff caps the pause after a failed Accept (such as EMFILE).
	maxAcceptBackoff = time.Second
)

// Proxy forwards every connection accepted on Addr to its target, applying the
// faults currently set. Create it with New and release it with Close.
//
// A Proxy is safe for concurrent use: faults may be set, connections dropped,
// stats read and Close called from any goroutine at any time.
type Proxy struct {
	target string
	ln     net.Listener
	ctx    context.Context // cancelled by Close; parent of every pair's context
	cancel context.CancelFunc

	faults faultState
	stats  counters

	mu      sync.Mutex
	closed  bool
	pairs   map[*pair]struct{}
	nextSeq uint64         // numbers pairs in accept order
	wg      sync.WaitGroup // the accept loop and every pair's goroutine

	closeOnce sync.Once
	closeErr  error
}

// New listens on 127.0.0.1:0 and forwards each accepted connection to target
// (host:port). The target is dialled per connection, not by New, so New
// succeeds even when the target is down: clients then see their connection
// closed as soon as the dial fails.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chaosproxy: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		target: target,
		ln:     ln,
		ctx:    ctx,
		cancel: cancel,
		pairs:  make(map[*pair]struct{}),
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the proxy's listening address, "127.0.0.1:port". Clients dial it
// instead of the target. It stays valid (but refuses connections) after Close.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address every connection is forwarded to.
func (p *Proxy) Target() string { return p.target }

// Close stops listening, closes every connection pair (both sides) and waits
// until every goroutine the proxy started has exited. It is idempotent and
// safe to call concurrently; every call waits for the same shutdown. Faults
// set after Close have no effect. It returns the listener's close error, if
// any.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		victims := p.snapshotLocked()
		p.mu.Unlock()

		p.cancel() // wakes delayed, held and dialling goroutines
		if err := p.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			p.closeErr = err
		}
		for _, c := range victims {
			c.close()
		}
	})
	p.wg.Wait()
	return p.closeErr
}

// DropAll closes every current connection pair at once, both sides, as a
// server crash or a network reset would: clients read EOF (or get a reset on
// their next write) and the target sees its connections closed. Connections
// accepted after DropAll returns are unaffected. It does not wait for the
// pairs' goroutines to exit (Close does). It returns how many pairs it closed
// (pairs that were already closing are not counted).
func (p *Proxy) DropAll() int {
	p.mu.Lock()
	victims := p.snapshotLocked()
	p.mu.Unlock()

	dropped := 0
	for _, c := range victims {
		if c.close() {
			dropped++
		}
	}
	p.stats.dropped.Add(int64(dropped))
	return dropped
}

// DropOne closes one current connection pair, both sides, as DropAll does
// for all of them: the one accepted first among those still open. It
// reports whether there was one to close.
func (p *Proxy) DropOne() bool {
	p.mu.Lock()
	var oldest *pair
	for c := range p.pairs {
		if oldest == nil || c.seq < oldest.seq {
			oldest = c
		}
	}
	p.mu.Unlock()
	if oldest == nil || !oldest.close() {
		return false
	}
	p.stats.dropped.Add(1)
	return true
}

// snapshotLocked lists the open pairs. p.mu must be held.
func (p *Proxy) snapshotLocked() []*pair {
	list := make([]*pair, 0, len(p.pairs))
	for c := range p.pairs {
		list = append(list, c)
	}
	return list
}

// acceptLoop accepts connections until the listener is closed.
func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	var backoff time.Duration
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if p.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (out of file descriptors, ...): back off
			// like net/http does instead of spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), maxAcceptBackoff)
			if !sleepCtx(p.ctx, backoff) {
				return
			}
			continue
		}
		backoff = 0
		p.stats.accepted.Add(1)
		if p.faults.refuse.Load() {
			p.stats.refused.Add(1)
			conn.Close()
			continue
		}
		p.startPair(conn)
	}
}

// startPair registers a pair for client and starts its goroutine, unless the
// proxy is closing.
func (p *Proxy) startPair(client net.Conn) {
	ctx, cancel := context.WithCancel(p.ctx)
	c := &pair{ctx: ctx, cancel: cancel, client: client}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.close()
		return
	}
	p.nextSeq++
	c.seq = p.nextSeq
	p.pairs[c] = struct{}{}
	p.wg.Add(1) // under p.mu with closed == false: never races Close's Wait
	p.mu.Unlock()

	go p.runPair(c)
}

// runPair dials the target, forwards both directions until either ends or the
// pair is closed, then closes both sides and unregisters the pair.
func (p *Proxy) runPair(c *pair) {
	defer p.wg.Done()
	defer p.forget(c)
	defer c.close()

	if hold := time.Duration(p.faults.holdNew.Load()); hold > 0 && !sleepCtx(c.ctx, hold) {
		return
	}
	dialCtx, cancel := context.WithTimeout(c.ctx, dialTimeout)
	var d net.Dialer
	server, err := d.DialContext(dialCtx, "tcp", p.target)
	cancel()
	if err != nil {
		if c.ctx.Err() == nil { // not merely dropped or closed while dialling
			p.stats.dialFailed.Add(1)
		}
		return
	}
	if !c.attach(server) {
		return
	}

	downDone := make(chan struct{})
	go func() {
		defer close(downDone)
		p.forward(c.ctx, c.client, server, &p.stats.down)
		c.close()
	}()
	p.forward(c.ctx, server, c.client, &p.stats.up)
	c.close()
	<-downDone
}

// forget unregisters a finished pair.
func (p *Proxy) forget(c *pair) {
	p.mu.Lock()
	delete(p.pairs, c)
	p.mu.Unlock()
}

// pair is one client connection and its connection to the target.
type pair struct {
	seq    uint64          // accept order, from 1
	ctx    context.Context // done once the pair is closed (or the proxy is)
	cancel context.CancelFunc
	client net.Conn

	mu     sync.Mutex
	server net.Conn // nil until the dial succeeds
	closed bool
}

// attach records the target connection. If the pair was closed while
// dialling, it closes server and reports false.
func (c *pair) attach(server net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		server.Close()
		return false
	}
	c.server = server
	return true
}

// close closes both sides and wakes the pair's goroutines. It reports whether
// this call did the closing (false if the pair was already closed).
func (c *pair) close() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	c.cancel()
	c.client.Close()
	if c.server != nil {
		c.server.Close()
	}
	return true
}

// sleepCtx waits for d or until ctx is done, and reports whether the full
// duration elapsed with ctx still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}
