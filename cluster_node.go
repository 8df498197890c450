package redmux

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// clusterNode is one node of a cluster: its address and, once dialed, a
// Client of its own (its own managers, least-loaded routing among them).
// A node that leaves the topology retires: it takes no new requests, and
// its Client is closed once the requests it is serving are answered.
type clusterNode struct {
	addr      string
	cfg       Config
	dialPause time.Duration // how long a failed dial is remembered

	mu      sync.Mutex
	client  *Client
	dialing chan struct{} // closed when the dial in progress ends
	dialErr error
	retryAt time.Time
	closed  bool

	healthy  atomic.Bool // as the topology says, and no connection error since
	users    atomic.Int64
	retiring atomic.Bool
	drained  chan struct{} // closed when retiring and no user is left
	drainMu  sync.Once
}

func newClusterNode(addr string, cfg Config, dialPause time.Duration) *clusterNode {
	n := &clusterNode{addr: addr, cfg: cfg, dialPause: dialPause, drained: make(chan struct{})}
	n.healthy.Store(true)
	n.cfg.onReconnect = func() { n.healthy.Store(true) } // back: replicas may serve reads again
	return n
}

// acquire registers a request on the node; it fails once the node retires.
// Every successful acquire is followed by one release.
func (n *clusterNode) acquire() bool {
	n.users.Add(1)
	if n.retiring.Load() {
		n.release()
		return false
	}
	return true
}

func (n *clusterNode) release() {
	if n.users.Add(-1) == 0 && n.retiring.Load() {
		n.drainMu.Do(func() { close(n.drained) })
	}
}

// use returns the node's Client for one request, dialing it if needed,
// and the function that ends the use. It fails with errNodeRetired once
// the node retires.
func (n *clusterNode) use(ctx context.Context) (*Client, func(), error) {
	if !n.acquire() {
		return nil, nil, errNodeRetired
	}
	cl, err := n.connected(ctx)
	if err != nil {
		n.release()
		return nil, nil, err
	}
	return cl, n.release, nil
}

// connected returns the node's Client, dialing it on first use. Only one
// dial runs at a time; a failed one is remembered for dialPause, so that a
// node that is down fails requests at once rather than once per request.
func (n *clusterNode) connected(ctx context.Context) (*Client, error) {
	for {
		n.mu.Lock()
		switch {
		case n.client != nil:
			c := n.client
			n.mu.Unlock()
			return c, nil
		case n.closed:
			n.mu.Unlock()
			return nil, ErrClosed
		case n.dialing != nil:
			wait := n.dialing
			n.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		case time.Now().Before(n.retryAt):
			err := n.dialErr
			n.mu.Unlock()
			return nil, err
		}
		n.dialing = make(chan struct{})
		n.mu.Unlock()
		return n.dial(ctx)
	}
}

// dial connects the node's Client; the caller set n.dialing.
func (n *clusterNode) dial(ctx context.Context) (*Client, error) {
	c, err := New(ctx, n.cfg)
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.dialing)
	n.dialing = nil
	switch {
	case err != nil:
		if ctx.Err() == nil { // the caller giving up says nothing of the node
			n.dialErr, n.retryAt = err, time.Now().Add(n.dialPause)
		}
		return nil, err
	case n.closed: // shut down while dialing
		_ = c.Close()
		return nil, ErrClosed
	}
	n.client = c
	return c, nil
}

// current returns the node's Client if it is dialed, without dialing.
func (n *clusterNode) current() *Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.client
}

// hangUp closes the node's Client, keeping the node: it dials again when
// it is needed. Only for a node nobody uses.
func (n *clusterNode) hangUp() {
	n.mu.Lock()
	c := n.client
	n.client = nil
	n.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// disconnected reports a node dialed once whose connections are all
// down now: the cluster may not have noticed yet that it died.
func (n *clusterNode) disconnected() bool {
	c := n.current()
	if c == nil {
		return false
	}
	for _, m := range c.Stats().Managers {
		if m.Connected {
			return false
		}
	}
	return true
}

// retire stops new requests and closes the node's Client once the
// requests in progress are answered, or at once when stop is closed.
func (n *clusterNode) retire(stop <-chan struct{}) {
	n.retiring.Store(true)
	if n.users.Load() == 0 {
		n.drainMu.Do(func() { close(n.drained) })
	}
	select {
	case <-n.drained:
	case <-stop:
	}
	n.close()
}

// close closes the node's Client, if any, and refuses new dials.
func (n *clusterNode) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.hangUp()
}
