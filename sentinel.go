package redmux

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// FailoverConfig configures a Client that reaches a master through Redis
// Sentinel: see NewFailover.
type FailoverConfig struct {
	// MasterName is the name the sentinels monitor the master under (the
	// <master-name> of "sentinel monitor"). Required.
	MasterName string
	// SentinelAddrs are the sentinels' "host:port" addresses. They are
	// asked in turn, starting with the one that answered last. At least
	// one is required.
	SentinelAddrs []string
	// Node configures the connections to the master as Config does for
	// New, with every default, except that Addr and Network must be left
	// empty: the sentinels name the master, at a TCP address. Its Dial,
	// TLSConfig, DialTimeout and HandshakeTimeout serve the connections to
	// the sentinels too; DialTimeout bounds each step of a connect (asking
	// one sentinel, dialing the master), not the whole.
	Node Config
	// SentinelPassword, if set, authenticates every connection to a
	// sentinel with AUTH (sentinels have a password of their own,
	// "requirepass" in the sentinel's configuration). Never shown in
	// errors.
	SentinelPassword string
	// SentinelUsername is the ACL user SentinelPassword belongs to; empty
	// means the default user.
	SentinelUsername string
}

// NewFailover connects to the master that the sentinels at
// cfg.SentinelAddrs monitor as cfg.MasterName, and follows it when a
// failover moves it. The returned Client is an ordinary Client (typed
// commands, Do, Pipeline, Batch, Dedicated, Subscribe, Clone all work
// unchanged) whose connections all go to the current master:
//
//   - Every connect, the first and every reconnect of every connection,
//     asks the sentinels where the master is (SENTINEL
//     GET-MASTER-ADDR-BY-NAME, each sentinel in turn until one answers)
//     and dials that address.
//   - Every new connection checks that it reached a master (the role in
//     HELLO's reply, or ROLE on RESP2); one that did not fails with
//     ErrNotMaster and is retried with backoff, asking the sentinels again.
//   - A goroutine subscribes to +switch-master on one sentinel at a time
//     (moving to another when that one fails or falls silent). When the
//     sentinels announce a new master, every connection is dropped as if
//     it had failed and redialed at once: requests not yet sent go to the
//     new master, reads already sent are sent once more, and writes
//     already sent fail with a *ConnError whose Sent is true (they may have
//     run on the old master). Dedicated connections idle in the pool are
//     closed, lent ones are closed when they come back, and every
//     Subscription reconnects and subscribes again.
//   - Connections the client opens beyond Node.Managers at low
//     concurrency (Config.MaxManagers) are connections like the others:
//     each asks the sentinels, and a switch makes every one redial.
//   - A reply -READONLY (the connection reaches a master demoted to
//     replica, the switch not yet heard of) ends its connection, which
//     redials. The command was refused, so a single command is sent once
//     more, to the new connection; a pipeline gets its replies as they
//     are (some of its commands may have run).
//
// Between the loss of a master and the sentinels' switch, requests wait
// for a connection as with New (Config.ReconnectWait) and fail with a
// *ConnError. The first connect is not retried: if no sentinel answers,
// the sentinels know no master of that name (ErrUnknownMaster), or the
// master cannot be reached, NewFailover returns a *ConnError saying why,
// for each sentinel asked, and leaves nothing running. An invalid field is
// a *ConfigError; the fields of Node are named "Node.DialTimeout" and so
// on.
//
// Closing the last handle stops the watch on the sentinels too, and
// returns once its goroutine has exited.
func NewFailover(ctx context.Context, cfg FailoverConfig) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	node, sentinels := cfg.nodeConfig()
	sh, err := newShared(ctx, node)
	if err != nil {
		return nil, err
	}
	watch := startSwitchWatch(sentinels, node, func(addr string) {
		cause := fmt.Errorf("%w: the sentinels moved %q to %s", errMasterSwitched, cfg.MasterName, addr)
		sh.pool.Reconnect(cause)
		sh.redialSubscriptions()
	})
	sh.stops = append(sh.stops, watch.stop)
	return newHandle(sh), nil
}

// errMasterSwitched is the cause in the *ConnError of a request whose
// connection was dropped because the sentinels announced a new master.
var errMasterSwitched = errors.New("the master changed")

// nodeConfig returns the resolved configuration of the connections to the
// master, whose every dial asks the sentinels where the master is, and the
// sentinels it asks.
func (f FailoverConfig) nodeConfig() (Config, *sentinels) {
	node := f.Node
	node.Addr = masterPlaceholder(f.MasterName)
	node = node.resolved()
	s := newSentinels(f, node)
	// The pool's dialer (connDialer) adds the Dial hooks around this, once.
	node.Dial = s.dialMaster(tlsOver(node.Dial, node.TLSConfig))
	// A connect asks the sentinels one by one, then dials the master:
	// each step has DialTimeout.
	node.DialTimeout *= time.Duration(len(f.SentinelAddrs) + 1)
	node.requireMaster = true
	return node, s
}

// masterPlaceholder is the Addr of NewFailover's connections, which never
// dial it: errors from before a connection exists name it, those of a
// connection name the address it reached.
func masterPlaceholder(name string) string { return "sentinel:" + name }

// validate reports the first invalid field by name, Node's prefixed with
// "Node.".
func (f FailoverConfig) validate() error {
	fail := func(field, reason string) error {
		return &ConfigError{Field: field, Reason: reason, config: "FailoverConfig"}
	}
	switch {
	case f.MasterName == "":
		return fail("MasterName", "is empty; want the name the sentinels monitor the master under")
	case len(f.SentinelAddrs) == 0:
		return fail("SentinelAddrs", "is empty; want the host:port of at least one sentinel")
	case f.Node.Addr != "":
		return fail("Node.Addr", fmt.Sprintf("is %q; leave it empty: the sentinels name the master", f.Node.Addr))
	}
	for i, addr := range f.SentinelAddrs {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fail(fmt.Sprintf("SentinelAddrs[%d]", i), fmt.Sprintf("is %q; want host:port", addr))
		}
	}
	switch f.Node.Network {
	case "", "tcp", "tcp4", "tcp6":
	default:
		return fail("Node.Network", fmt.Sprintf("is %q; leave it empty: the sentinels name TCP addresses", f.Node.Network))
	}
	node := f.Node
	node.Addr = masterPlaceholder(f.MasterName)
	var cerr *ConfigError
	if err := node.validate(); errors.As(err, &cerr) {
		return fail("Node."+cerr.Field, cerr.Reason)
	}
	return nil
}
