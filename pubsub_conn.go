package redmux

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// subKind is one of the three kinds of subscription Redis has.
type subKind int

const (
	kindChannel subKind = iota // SUBSCRIBE
	kindPattern                // PSUBSCRIBE
	kindShard                  // SSUBSCRIBE
	kindCount
)

// command returns the (un)subscribe command of the kind.
func (k subKind) command(subscribe bool) string {
	names := [kindCount][2]string{
		kindChannel: {"UNSUBSCRIBE", "SUBSCRIBE"},
		kindPattern: {"PUNSUBSCRIBE", "PSUBSCRIBE"},
		kindShard:   {"SUNSUBSCRIBE", "SSUBSCRIBE"},
	}
	if subscribe {
		return names[k][1]
	}
	return names[k][0]
}

// confirmation is what the server sends once per name of a (un)subscribe
// command, and what a caller of change waits for.
type confirmation struct {
	kind      subKind
	subscribe bool
	name      string
}

// confirmations maps a confirmation frame's first word to what it
// confirms (the name comes from its second element).
var confirmations = map[string]confirmation{
	"subscribe":    {kindChannel, true, ""},
	"unsubscribe":  {kindChannel, false, ""},
	"psubscribe":   {kindPattern, true, ""},
	"punsubscribe": {kindPattern, false, ""},
	"ssubscribe":   {kindShard, true, ""},
	"sunsubscribe": {kindShard, false, ""},
}

// sendTimeout bounds a (un)subscribe command's write.
const sendTimeout = 5 * time.Second

func newSubscription(sh *shared) *Subscription {
	cfg := sh.connConfig
	s := &Subscription{
		dial:      func(ctx context.Context) (*manager.Conn, error) { return manager.Dial(ctx, cfg) },
		backoff:   backoff{min: cfg.BackoffMin, max: cfg.BackoffMax},
		waiters:   map[confirmation][]chan error{},
		buffer:    sh.subscriptionBuffer,
		ready:     make(chan struct{}, 1),
		redialNow: make(chan struct{}, 1),
		log:       cfg.Logger,
	}
	for k := range s.subs {
		s.subs[k] = map[string]bool{}
	}
	s.life, s.cancel = context.WithCancel(context.Background())
	return s
}

// change (un)subscribes names of kind and waits for the server's
// confirmation of each, or for ctx. The subscription's state changes at
// once, whatever the wait's outcome: a reconnect subscribes to what it
// holds.
func (s *Subscription) change(ctx context.Context, kind subKind, subscribe bool, names []string) error {
	waits, conn, cmd, err := s.request(kind, subscribe, names)
	if err != nil {
		return err
	}
	if conn != nil {
		// Sent outside mu, so that a stuck write cannot hold up the reader
		// or Close; sendMu keeps one write at a time. A failure ends the
		// reader, and the reconnect resends everything.
		s.sendMu.Lock()
		_ = conn.Send(cmd, sendTimeout)
		s.sendMu.Unlock()
	}
	for _, w := range waits {
		select {
		case err := <-w:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			s.forget(waits)
			return ctx.Err()
		case <-s.life.Done():
			return ErrClosed
		}
	}
	return nil
}

// forget removes the waiters of a caller that stopped waiting.
func (s *Subscription) forget(waits []chan error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gone := make(map[chan error]bool, len(waits))
	for _, w := range waits {
		gone[w] = true
	}
	for key, ws := range s.waiters {
		kept := ws[:0]
		for _, w := range ws {
			if !gone[w] {
				kept = append(kept, w)
			}
		}
		if len(kept) == 0 {
			delete(s.waiters, key)
		} else {
			s.waiters[key] = kept
		}
	}
}

// request records the change and registers a waiter per name; when
// connected it returns the connection and the command to send (if not, the
// reconnect sends everything).
func (s *Subscription) request(kind subKind, subscribe bool, names []string) (waits []chan error, send *manager.Conn, cmd []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life.Err() != nil {
		return nil, nil, nil, ErrClosed
	}
	if !subscribe && len(names) == 0 {
		for name := range s.subs[kind] {
			names = append(names, name)
		}
	}
	waits = make([]chan error, len(names))
	for i, name := range names {
		if subscribe {
			s.subs[kind][name] = true
		} else {
			delete(s.subs[kind], name)
		}
		waits[i] = make(chan error, 1)
		key := confirmation{kind, subscribe, name}
		s.waiters[key] = append(s.waiters[key], waits[i])
	}
	if !subscribe {
		s.discardUnwanted()
	}
	if len(names) > 0 && s.conn != nil {
		send = s.conn
		cmd = resp.AppendCommandStrings(nil, append([]string{kind.command(subscribe)}, names...)...)
	}
	return waits, send, cmd, nil
}

// discardUnwanted drops the buffered messages no subscription wants any
// more, so that subscribing to a channel again does not bring back what
// was buffered before its unsubscribe. The caller holds mu.
func (s *Subscription) discardUnwanted() {
	kept := s.queue[:0]
	for _, m := range s.queue {
		if s.wanted(m) {
			kept = append(kept, m)
		}
	}
	clear(s.queue[len(kept):])
	s.queue = kept
}

// run reads the connection until it fails, then reconnects and
// resubscribes, until Close or the Client's shutdown.
func (s *Subscription) run(conn *manager.Conn) {
	// Receive and the dials watch s.life: Close ends them without a
	// callback goroutine of its own.
	for conn != nil {
		s.read(conn)
		_ = conn.Close()
		conn = s.reconnect()
	}
	s.failWaiters(ErrClosed)
}

// read handles what conn receives until it fails.
func (s *Subscription) read(conn *manager.Conn) {
	for {
		v, err := conn.Receive(s.life)
		if err != nil {
			s.mu.Lock()
			s.conn = nil
			s.mu.Unlock()
			return
		}
		s.handle(v)
	}
}

// handle sorts one frame: a message, a confirmation, or anything else
// (a PONG, a refusal), which wakes no one but errors every waiter.
func (s *Subscription) handle(v Value) {
	if err := v.Err(); err != nil {
		s.refused(err)
		s.answered(true)
		return
	}
	parts, err := v.Array()
	if err != nil || len(parts) < 3 {
		return
	}
	word, _ := parts[0].Text()
	switch word {
	case "message", "smessage":
		s.deliver(Message{Channel: text(parts[1]), Payload: payload(parts[2])}, word == "smessage")
		return
	case "pmessage":
		if len(parts) == 4 {
			s.deliver(Message{Pattern: text(parts[1]), Channel: text(parts[2]), Payload: payload(parts[3])}, false)
		}
		return
	}
	if c, ok := confirmations[word]; ok {
		c.name = text(parts[1])
		s.confirm(c)
		if c.subscribe {
			s.answered(false)
		}
	}
}

func text(v Value) string {
	t, _ := v.Text()
	return t
}

func payload(v Value) []byte {
	b, _ := v.Bytes()
	if b == nil {
		b = []byte{}
	}
	return b
}

// deliver buffers m if it is still wanted and there is room.
func (s *Subscription) deliver(m Message, shard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if shard {
		m.Pattern = "" // smessage carries no pattern
		if !s.subs[kindShard][m.Channel] {
			return
		}
	} else if !s.wanted(m) {
		return
	}
	if len(s.queue) >= s.buffer {
		s.dropped.Add(1)
		return
	}
	s.queue = append(s.queue, m)
	s.delivered.Add(1)
	s.signal()
}

// wanted reports whether m's channel, pattern or shard channel is still
// subscribed to. The caller holds mu.
func (s *Subscription) wanted(m Message) bool {
	if m.Pattern != "" {
		return s.subs[kindPattern][m.Pattern]
	}
	return s.subs[kindChannel][m.Channel] || s.subs[kindShard][m.Channel]
}

// confirm wakes every caller waiting for c: the name is now (un)subscribed,
// whoever asked. (A resubscription sends each name once, however many
// callers wait for it.)
func (s *Subscription) confirm(c confirmation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.waiters[c] {
		w <- nil
	}
	delete(s.waiters, c)
}

// failWaiters wakes every waiting caller with err.
func (s *Subscription) failWaiters(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWaitersLocked(err)
}

func (s *Subscription) failWaitersLocked(err error) {
	for key, ws := range s.waiters {
		for _, w := range ws {
			w <- err
		}
		delete(s.waiters, key)
	}
}

// refused handles an error reply, which on a subscribed connection answers
// a refused (un)subscribe (an ACL denial, say). Which command it answers
// is not known, so every waiting caller gets it, and the names they were
// subscribing to are forgotten: their callers were told it failed, and a
// refused name must not be sent again at each reconnect.
func (s *Subscription) refused(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.waiters {
		if key.subscribe {
			delete(s.subs[key.kind], key.name)
		}
	}
	s.failWaitersLocked(err)
}

// reconnect dials until it succeeds or the subscription closes, then
// subscribes again to everything. It returns nil once closed.
func (s *Subscription) reconnect() *manager.Conn {
	var base time.Duration // the first attempt is at once
	for {
		if base > 0 {
			t := time.NewTimer(jitter(base))
			select {
			case <-t.C:
			case <-s.redialNow: // redial: at once
				t.Stop()
			case <-s.life.Done():
				t.Stop()
				return nil
			}
		}
		conn, err := s.dial(s.life)
		if s.life.Err() != nil {
			if conn != nil {
				_ = conn.Close()
			}
			return nil
		}
		if err == nil && s.resubscribe(conn) {
			s.reconnects.Add(1)
			s.resubscribed()
			return conn
		}
		base = s.backoff.grow(base)
	}
}

// redial makes the subscription leave its connection, whose server is no
// longer the right one, and reconnect: at once, and at once again if it is
// waiting to retry. It never blocks.
func (s *Subscription) redial() {
	select {
	case s.redialNow <- struct{}{}:
	default: // one is pending already
	}
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		_ = conn.Close() // ends its Receive: run reconnects
	}
}

// resubscribe sends every subscription on conn, and releases the callers
// waiting for an unsubscribe: the new connection is not subscribed to what
// they left. It reports false if the write failed.
func (s *Subscription) resubscribe(conn *manager.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, ws := range s.waiters {
		if !key.subscribe {
			for _, w := range ws {
				w <- nil
			}
			delete(s.waiters, key)
		}
	}
	var cmd []byte
	var sent [kindCount]int
	for kind, names := range s.subs {
		for name := range names { // one command per name: a refusal takes only its own
			cmd = resp.AppendCommandStrings(cmd, subKind(kind).command(true), name)
		}
		sent[kind] = len(names)
	}
	if len(cmd) > 0 && conn.Send(cmd, sendTimeout) != nil {
		_ = conn.Close()
		return false
	}
	s.startResubscription(conn.Addr(), sent)
	s.conn = conn
	return true
}

// backoff is the wait between reconnect attempts, as the managers have
// it: the first at once, then doubling from min up to max, each drawn at
// random from its upper half.
type backoff struct{ min, max time.Duration }

func (b backoff) grow(d time.Duration) time.Duration {
	if d == 0 {
		return b.min
	}
	return min(2*d, b.max)
}

func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }
