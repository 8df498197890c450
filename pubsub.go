package redmux

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/redmux/redmux/manager"
)

// Message is one pub/sub message.
type Message struct {
	// Channel is the channel it was published to.
	Channel string
	// Pattern is the pattern that matched Channel, for a subscription made
	// with PSubscribe; empty otherwise.
	Pattern string
	// Payload is the message. It belongs to the receiver.
	Payload []byte
}

// SubscriptionStats counts what a Subscription received.
type SubscriptionStats struct {
	// Delivered counts messages kept for the reader (in the buffer, or
	// already read).
	Delivered uint64
	// Dropped counts messages dropped because the buffer was full (see
	// Config.SubscriptionBuffer).
	Dropped uint64
	// Reconnects counts connections lost and replaced. Messages published
	// between the loss and the resubscription are not received, as with
	// Redis itself: each Reconnect is a possible gap.
	Reconnects uint64
}

// Subscription is a pub/sub subscription on a connection of its own. It
// survives connection loss: it reconnects with backoff, runs the
// connection handshake again (credentials, protocol, TLS) and subscribes
// again to everything, with no user code; Stats().Reconnects counts the
// gaps.
//
// Messages arrive in the order the server sent them and wait in a buffer
// of Config.SubscriptionBuffer messages for Receive or Messages; when it is
// full newer messages are dropped (Stats().Dropped), so a slow reader
// never holds up the connection, the Client's commands or other
// subscriptions. After Unsubscribe (or PUnsubscribe, SUnsubscribe) returns,
// nothing more is delivered for those channels, even from the buffer.
//
// All methods are safe for concurrent use. Close ends it; so does closing
// the last handle of its Client.
type Subscription struct {
	dial      func(ctx context.Context) (*manager.Conn, error)
	backoff   backoff
	redialNow chan struct{} // buffered for one: redial cuts a reconnect's wait short

	life   context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the subscription's goroutines; Add only under mu before cancel

	sendMu  sync.Mutex // one (un)subscribe write at a time, never held with mu
	mu      sync.Mutex
	conn    *manager.Conn              // nil while reconnecting
	subs    [kindCount]map[string]bool // what is subscribed, by kind
	waiters map[confirmation][]chan error
	queue   []Message
	buffer  int
	ready   chan struct{} // signalled (buffered, for one) when queue grows
	out     chan Message  // Messages(), made on first use

	delivered, dropped, reconnects atomic.Uint64

	log   *slog.Logger   // Config.Logger
	resub resubscription // under mu, with a logger only
}

// subscribe starts a Subscription of kind to names, returning once the
// server confirmed each.
func (c *Client) subscribe(ctx context.Context, kind subKind, names []string) (*Subscription, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	s := newSubscription(c.shared)
	conn, err := s.dial(ctx)
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.conn = conn
	c.shared.track(s)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		defer c.shared.untrack(s)
		s.run(conn)
	}()
	go func() { // ends the subscription with the Client
		defer s.wg.Done()
		select {
		case <-c.pool.Closing():
			s.cancel()
		case <-s.life.Done():
		}
	}()
	if err := s.change(ctx, kind, true, names); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Subscribe subscribes to channels on a connection of the Subscription's
// own and returns once the server confirmed every one.
func (c *Client) Subscribe(ctx context.Context, channels ...string) (*Subscription, error) {
	return c.subscribe(ctx, kindChannel, channels)
}

// PSubscribe subscribes to glob-style patterns ("news.*"); each Message
// names the pattern that matched. It returns once the server confirmed
// every pattern.
func (c *Client) PSubscribe(ctx context.Context, patterns ...string) (*Subscription, error) {
	return c.subscribe(ctx, kindPattern, patterns)
}

// SSubscribe subscribes to shard channels (Redis 7 sharded pub/sub, which
// SPublish publishes to) and returns once the server confirmed every one.
func (c *Client) SSubscribe(ctx context.Context, channels ...string) (*Subscription, error) {
	return c.subscribe(ctx, kindShard, channels)
}

// Subscribe adds channels and returns once the server confirmed them.
func (s *Subscription) Subscribe(ctx context.Context, channels ...string) error {
	return s.change(ctx, kindChannel, true, channels)
}

// Unsubscribe removes channels, or every channel when none is named, and
// returns once the server confirmed it; no message of theirs is delivered
// afterwards.
func (s *Subscription) Unsubscribe(ctx context.Context, channels ...string) error {
	return s.change(ctx, kindChannel, false, channels)
}

// PSubscribe adds patterns and returns once the server confirmed them.
func (s *Subscription) PSubscribe(ctx context.Context, patterns ...string) error {
	return s.change(ctx, kindPattern, true, patterns)
}

// PUnsubscribe removes patterns, or every pattern when none is named, as
// Unsubscribe does for channels.
func (s *Subscription) PUnsubscribe(ctx context.Context, patterns ...string) error {
	return s.change(ctx, kindPattern, false, patterns)
}

// SSubscribe adds shard channels and returns once the server confirmed
// them.
func (s *Subscription) SSubscribe(ctx context.Context, channels ...string) error {
	return s.change(ctx, kindShard, true, channels)
}

// SUnsubscribe removes shard channels, or every one when none is named, as
// Unsubscribe does for channels.
func (s *Subscription) SUnsubscribe(ctx context.Context, channels ...string) error {
	return s.change(ctx, kindShard, false, channels)
}

// Receive returns the next message, waiting no longer than ctx. A context
// that ends returns its error and leaves the subscription as it was: the
// next Receive works. While the subscription reconnects Receive waits;
// after Close it returns ErrClosed.
func (s *Subscription) Receive(ctx context.Context) (Message, error) {
	return s.next(ctx.Done(), ctx.Err)
}

// Messages returns the subscription's messages as a channel: the same
// stream Receive reads from (a message goes to one of them), closed by
// Close.
func (s *Subscription) Messages() <-chan Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		s.out = make(chan Message)
		if s.life.Err() != nil {
			close(s.out)
			return s.out
		}
		s.wg.Add(1)
		go s.forward(s.out)
	}
	return s.out
}

// forward feeds Messages' channel until Close.
func (s *Subscription) forward(out chan<- Message) {
	defer s.wg.Done()
	defer close(out)
	for {
		m, err := s.next(nil, nil)
		if err != nil {
			return
		}
		select {
		case out <- m:
		case <-s.life.Done():
			return
		}
	}
}

// Stats returns the subscription's counters.
func (s *Subscription) Stats() SubscriptionStats {
	return SubscriptionStats{Delivered: s.delivered.Load(), Dropped: s.dropped.Load(), Reconnects: s.reconnects.Load()}
}

// Close ends the subscription: its connection closes, Messages' channel
// closes, and Receive returns ErrClosed. It returns once the
// subscription's goroutines have exited. Calling it again does nothing.
func (s *Subscription) Close() error {
	s.mu.Lock()
	s.cancel() // under mu: no goroutine is added after it
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// next pops the next message still subscribed to, waiting for one until
// stop closes (then ctxErr's error) or the subscription closes.
func (s *Subscription) next(stop <-chan struct{}, ctxErr func() error) (Message, error) {
	for {
		if s.life.Err() != nil {
			return Message{}, ErrClosed // what is buffered is dropped with it
		}
		if m, ok := s.pop(); ok {
			return m, nil
		}
		select {
		case <-s.ready:
		case <-stop:
			return Message{}, ctxErr()
		case <-s.life.Done():
			return Message{}, ErrClosed
		}
	}
}

// pop removes the first buffered message whose channel, pattern or shard
// channel is still subscribed to.
func (s *Subscription) pop() (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 {
		m := s.queue[0]
		s.queue[0] = Message{}
		s.queue = s.queue[1:]
		if s.wanted(m) {
			if len(s.queue) > 0 {
				s.signal()
			}
			return m, true
		}
	}
	return Message{}, false
}

// signal wakes one waiting reader.
func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
