package redmux

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// sentinels asks a set of sentinels where the master of one name is, on a
// short connection of its own each time. Safe for concurrent use.
type sentinels struct {
	master  string
	addrs   []string
	conn    manager.Config // a sentinel connection's, but for its Addr
	timeout time.Duration  // bounds asking one sentinel, and dialing the master
	ask     []byte         // SENTINEL GET-MASTER-ADDR-BY-NAME <master>

	preferred atomic.Int32           // the index of the sentinel that answered last, asked first
	dialed    atomic.Pointer[string] // the master address dialed last
}

// newSentinels returns the sentinels of f, whose connections take node's
// (resolved) Dial, TLSConfig, timeouts, limits and backoff.
func newSentinels(f FailoverConfig, node Config) *sentinels {
	return &sentinels{
		master:  f.MasterName,
		addrs:   slices.Clone(f.SentinelAddrs), // the caller may reuse its slice
		timeout: node.DialTimeout,
		ask:     resp.AppendCommandStrings(nil, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", f.MasterName),
		conn: manager.Config{
			Network:          "tcp",
			Dial:             tlsOver(node.Dial, node.TLSConfig),
			DialTimeout:      node.DialTimeout,
			HandshakeTimeout: node.HandshakeTimeout,
			Handshake:        sentinelAuth(f.SentinelUsername, f.SentinelPassword),
			QueueLen:         1, // a Conn has no queue; the manager's check wants these set
			MaxInFlight:      1,
			MaxBatchBytes:    1,
			Limits:           node.Limits,
			BackoffMin:       node.BackoffMin,
			BackoffMax:       node.BackoffMax,
			Logger:           node.Logger, // a refused SentinelPassword is logged
		},
	}
}

// sentinelAuth is the handshake of a sentinel connection: AUTH when a
// password is set, nothing otherwise. The connection speaks RESP2.
func sentinelAuth(user, pass string) manager.Handshake {
	if pass == "" {
		return nil
	}
	args := []string{"AUTH", pass}
	if user != "" {
		args = []string{"AUTH", user, pass}
	}
	cmd := resp.AppendCommandStrings(nil, args...)
	return func(_ context.Context, hc *manager.HandshakeConn) error {
		replies, err := hc.Exchange(cmd)
		if err != nil {
			return err
		}
		if err := replies[0].Err(); err != nil {
			return stepError("AUTH", err, pass)
		}
		return nil
	}
}

// dial connects to the sentinel at addr.
func (s *sentinels) dial(ctx context.Context, addr string) (*manager.Conn, error) {
	cfg := s.conn
	cfg.Addr = addr
	return manager.Dial(ctx, cfg)
}

// dialMaster returns the managers' Dial: each call asks the sentinels
// where the master is now and dials that address with dial, ignoring the
// address it is given (the placeholder naming the master).
func (s *sentinels) dialMaster(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		addr, err := s.masterAddr(ctx)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, fmt.Errorf("the master %q, which the sentinels place at %s: %w", s.master, addr, err)
		}
		s.dialed.Store(&addr)
		return nc, nil
	}
}

// lastDialed returns the master address dialed last, "" before any.
func (s *sentinels) lastDialed() string {
	if addr := s.dialed.Load(); addr != nil {
		return *addr
	}
	return ""
}

// masterAddr asks the sentinels in turn, starting with the one that
// answered last, where the master is, and returns the first answer. It
// fails with a *sentinelsError holding each sentinel's failure.
func (s *sentinels) masterAddr(ctx context.Context) (string, error) {
	start := int(s.preferred.Load())
	errs := make([]error, 0, len(s.addrs))
	for i := range s.addrs {
		n := (start + i) % len(s.addrs)
		addr, err := s.askOne(ctx, s.addrs[n])
		if err == nil {
			s.preferred.Store(int32(n))
			return addr, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break // the others would fail the same way
		}
	}
	return "", &sentinelsError{master: s.master, errs: errs}
}

// askOne asks the sentinel at addr where the master is, within timeout.
func (s *sentinels) askOne(ctx context.Context, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := s.dial(ctx, addr)
	if err != nil {
		return "", sentinelFailure(addr, err)
	}
	defer conn.Close()
	vals, err := conn.Do(ctx, s.ask, 1)
	if err != nil {
		return "", sentinelFailure(addr, err)
	}
	return parseMasterAddr(vals[0], addr)
}

// parseMasterAddr reads GET-MASTER-ADDR-BY-NAME's reply: [ip, port], or
// null for a name the sentinel does not monitor.
func parseMasterAddr(v Value, sentinel string) (string, error) {
	if v.IsNull() {
		return "", fmt.Errorf("sentinel %s: %w", sentinel, ErrUnknownMaster)
	}
	if err := v.Err(); err != nil { // NOAUTH, say
		return "", fmt.Errorf("sentinel %s: SENTINEL GET-MASTER-ADDR-BY-NAME: %w", sentinel, err)
	}
	parts, err := v.Strings()
	if err != nil || len(parts) != 2 {
		return "", fmt.Errorf("sentinel %s: SENTINEL GET-MASTER-ADDR-BY-NAME answered %v, not [ip, port]", sentinel, v)
	}
	return net.JoinHostPort(parts[0], parts[1]), nil
}

// sentinelFailure is the error of a sentinel that could not be asked,
// naming it once (its *ConnError names it too).
func sentinelFailure(addr string, err error) error {
	var ce *ConnError
	if errors.As(err, &ce) {
		return fmt.Errorf("sentinel %s: %s: %w", addr, ce.Op, ce.Err)
	}
	return fmt.Errorf("sentinel %s: %w", addr, err)
}

// sentinelsError is the failure to learn the master's address from any
// sentinel: the failure of each one asked, in the order asked. errors.Is
// and errors.As see each of them (ErrUnknownMaster, a *net.OpError, a
// *RedisError, ...).
type sentinelsError struct {
	master string
	errs   []error
}

func (e *sentinelsError) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("no sentinel named the master %q: %s", e.master, strings.Join(msgs, "; "))
}

func (e *sentinelsError) Unwrap() []error { return e.errs }
