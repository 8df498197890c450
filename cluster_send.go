package redmux

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redmux/redmux/manager"
)

// clusterCall is one command on its way through the cluster: its
// encoding is kept so that it can be sent again after a redirection.
type clusterCall struct {
	cmd      []byte
	readOnly bool
	slot     int // -1: no key, any master
	blocking bool
	wait     time.Duration // for a blocking command: the server's timeout, 0 none

	fan         *fanOut // for a command that runs on every master
	onReplica   bool    // the last attempt went to a replica
	toMaster    bool    // a replica failed it: stay on the master
	resentRead  bool    // a read lost with its connection was sent once more
	redirects   int
	retryUntil  time.Time
	retryPauses int
}

// newClusterCall keeps req's encoding, releases req and finds the slot.
func newClusterCall(req *manager.Request, blocking bool, wait time.Duration) (*clusterCall, error) {
	call := &clusterCall{cmd: append([]byte(nil), req.Cmd...), readOnly: req.ReadOnly, slot: -1, blocking: blocking, wait: wait}
	req.Release()
	e, err := readCommand(call.cmd)
	if err != nil {
		return nil, err
	}
	if key, keyed := e.firstKey(); keyed {
		call.slot = keySlot(key)
	}
	call.fan = fanOutOf(&e)
	return call, nil
}

// run makes a ClusterClient a runner of typed commands.
func (c *ClusterClient) run(ctx context.Context, req *manager.Request) (Value, error) {
	return c.send(ctx, req, false, 0)
}

// runBlocking runs a blocking command on a dedicated connection of the
// node serving its key.
func (c *ClusterClient) runBlocking(ctx context.Context, req *manager.Request, wait time.Duration) (Value, error) {
	return c.send(ctx, req, true, wait)
}

// Do runs the command name with args on the node serving its key (any
// master for a command without a key), with Client.Do's argument rules,
// and follows the cluster's redirections. Blocking commands run on a
// dedicated connection of that node; commands that change connection
// state return ErrNeedsDedicated.
func (c *ClusterClient) Do(ctx context.Context, name string, args ...any) (Value, error) {
	if c.closed.Load() {
		return Value{}, ErrClosed
	}
	route := routeOf(name, args)
	if route == routeConnState {
		return Value{}, refuseConnState(name)
	}
	req, err := anyCommand(name, args)
	if err != nil {
		return Value{}, err
	}
	if route == routeBlocking { // bounded here, once for every attempt
		ctx, cancel := blockingContext(ctx, c.shared.cfg.Node.CommandTimeout, name, args)
		defer cancel()
		return c.send(ctx, req, true, 0)
	}
	return c.send(ctx, req, false, 0)
}

// send routes one encoded command and retries it as the cluster asks.
func (c *ClusterClient) send(ctx context.Context, req *manager.Request, blocking bool, wait time.Duration) (Value, error) {
	if c.closed.Load() {
		req.Release()
		return Value{}, ErrClosed
	}
	call, err := newClusterCall(req, blocking, wait)
	if err != nil {
		return Value{}, err
	}
	if call.fan != nil {
		return c.shared.fanOut(ctx, call, call.fan)
	}
	return c.shared.do(ctx, call)
}

// do sends call until it gets an answer that is not a redirection or a
// refusal the cluster will soon lift.
func (sh *clusterShared) do(ctx context.Context, call *clusterCall) (Value, error) {
	var asking *clusterNode
	for {
		node, v, err := sh.attemptOn(ctx, call, asking)
		asking = nil
		switch next := sh.nextStep(call, node, err); next.kind {
		case stepDone:
			return v, err
		case stepMoved:
			sh.followMoved(call, next)
		case stepAsk:
			sh.redirects.Add(1)
			asking = sh.node(next.addr)
		case stepRetry:
			if perr := sh.pause(ctx, call); perr == errRetryWaitSpent {
				return v, err // the cluster's last answer says most
			} else if perr != nil {
				return Value{}, perr
			}
		}
		if call.redirects > sh.cfg.MaxRedirects {
			return v, err
		}
	}
}

// followMoved points the slot at its new owner for every later command,
// and sends call there: the server knows the key better than firstKey.
func (sh *clusterShared) followMoved(call *clusterCall, moved step) {
	sh.redirects.Add(1)
	sh.applyMoved(moved.slot, moved.addr)
	sh.kickRefresh()
	call.slot = moved.slot
}

// attemptOn sends call once: to asking when an ASK named it, otherwise to
// the node serving its slot.
func (sh *clusterShared) attemptOn(ctx context.Context, call *clusterCall, asking *clusterNode) (*clusterNode, Value, error) {
	node := asking
	if node == nil {
		var err error
		if node, err = sh.target(call); err != nil {
			return nil, Value{}, err
		}
	}
	v, err := sh.sendTo(ctx, node, call, asking != nil)
	return node, v, err
}

// target picks the node for call: the master of its slot's shard, or
// one of the shard's healthy replicas for a read when ReadFromReplicas.
func (sh *clusterShared) target(call *clusterCall) (*clusterNode, error) {
	var s *shard
	if call.slot < 0 {
		var err error
		if s, err = sh.anyShard(); err != nil {
			return nil, err
		}
	} else if s = sh.topo.Load().shardOf(call.slot); s == nil {
		return nil, slotUnserved(call.slot)
	}
	call.onReplica = false
	if call.readOnly && sh.cfg.ReadFromReplicas && !call.toMaster {
		if r := s.healthyReplica(); r != nil {
			call.onReplica = true
			return r, nil
		}
	}
	return s.master, nil
}

// healthyReplica returns the next healthy replica, or nil.
func (s *shard) healthyReplica() *clusterNode {
	for range s.replicas {
		r := s.replicas[int(s.turn.Add(1))%len(s.replicas)]
		if r.healthy.Load() {
			return r
		}
	}
	return nil
}

// sendOnNode sends call's command on a node's Client, after ASKING when
// asking.
func sendOnNode(ctx context.Context, cl *Client, call *clusterCall, asking bool) (Value, error) {
	req := manager.NewRequest()
	if asking {
		req.Cmd = append(req.Cmd, askingCommand...)
	}
	req.Cmd = append(req.Cmd, call.cmd...)
	req.ReadOnly = call.readOnly && !asking
	switch {
	case call.blocking && asking:
		return askingOnDedicated(ctx, cl, req, call.wait)
	case call.blocking:
		return cl.runBlocking(ctx, req, call.wait)
	case asking:
		req.Replies = 2
		replies, err := cl.doMulti(ctx, req)
		if err != nil {
			return Value{}, err
		}
		return replies[1], replies[1].Err()
	}
	return cl.do(ctx, req)
}

// askingCommand is ASKING, encoded.
var askingCommand = []byte("*1\r\n$6\r\nASKING\r\n")

// askingOnDedicated runs ASKING and a blocking command on one dedicated
// connection.
func askingOnDedicated(ctx context.Context, cl *Client, req *manager.Request, wait time.Duration) (Value, error) {
	ctx, cancel := cl.blockingFor(ctx, wait)
	defer cancel()
	var v Value
	ran := false
	err := cl.Dedicated(ctx, func(conn *DedicatedConn) error {
		ran = true
		replies, err := conn.exchange(ctx, req, 2)
		req.Release()
		if err != nil {
			return err
		}
		v = replies[1]
		return v.Err()
	})
	if !ran {
		req.Release()
	}
	return v, err
}

// stepKind is what do does after an attempt.
type stepKind int

const (
	stepDone  stepKind = iota // return the answer
	stepMoved                 // the slot moved: update the map, send again
	stepAsk                   // send once to the importing node
	stepRetry                 // wait, then send again
)

type step struct {
	kind stepKind
	slot int
	addr string
}

var errNodeRetired = &ConnError{Op: "connect", Err: errors.New("the node left the cluster")}

// nextStep decides what follows an attempt's error.
func (sh *clusterShared) nextStep(call *clusterCall, node *clusterNode, err error) step {
	if err == nil {
		return step{kind: stepDone}
	}
	var rerr *RedisError
	if errors.As(err, &rerr) {
		return sh.afterRedisError(call, node, rerr)
	}
	var cerr *ConnError
	switch {
	case errors.As(err, &cerr):
		sh.kickRefresh()
		call.toMaster = call.toMaster || call.onReplica // fall back to the master
		if node != nil && err != errNodeRetired {
			node.healthy.Store(false)
		}
		if !cerr.Sent || sh.mayResend(call) {
			return step{kind: stepRetry}
		}
	case errors.Is(err, ErrClusterDown):
		sh.kickRefresh()
		return step{kind: stepRetry}
	}
	return step{kind: stepDone}
}

// mayResend reports whether a read lost with its connection after it was
// sent may be sent once more, now: the pool resent it on the same node,
// which may be the one that died.
func (sh *clusterShared) mayResend(call *clusterCall) bool {
	if !call.readOnly || call.resentRead || call.blocking || sh.cfg.Node.DisableReadRetry {
		return false
	}
	call.resentRead = true
	return true
}

// afterRedisError handles the cluster's error replies.
func (sh *clusterShared) afterRedisError(call *clusterCall, node *clusterNode, rerr *RedisError) step {
	switch rerr.Prefix {
	case "MOVED", "ASK":
		slot, addr, ok := parseRedirect(rerr.Message, node)
		if !ok {
			return step{kind: stepDone}
		}
		call.redirects++
		if rerr.Prefix == "ASK" {
			return step{kind: stepAsk, slot: slot, addr: addr}
		}
		call.toMaster = call.toMaster || call.onReplica
		return step{kind: stepMoved, slot: slot, addr: addr}
	case "TRYAGAIN":
		return step{kind: stepRetry}
	case "CLUSTERDOWN", "READONLY":
		sh.kickRefresh()
		return step{kind: stepRetry}
	case "MASTERDOWN", "LOADING", "NOSCRIPT":
		// A replica that lost its master, is loading, or lacks a script
		// loaded on the masters (EVALSHA_RO): the master can answer.
		if call.onReplica || rerr.Prefix != "NOSCRIPT" {
			call.toMaster = call.toMaster || call.onReplica
			return step{kind: stepRetry}
		}
	}
	return step{kind: stepDone}
}

// parseRedirect reads "MOVED 3999 127.0.0.1:6381" (or ASK). Redis writes
// host and port joined by the last colon, an IPv6 address unbracketed
// ("::1:6381"); a node that does not know its own address sends ":6381",
// and the host is then the one the reply came from.
func parseRedirect(msg string, from *clusterNode) (slot int, addr string, ok bool) {
	fields := strings.Fields(msg)
	if len(fields) != 3 {
		return 0, "", false
	}
	slot, err := strconv.Atoi(fields[1])
	if err != nil || slot < 0 || slot >= slotCount {
		return 0, "", false
	}
	colon := strings.LastIndexByte(fields[2], ':')
	if colon < 0 {
		return 0, "", false
	}
	host, port := strings.Trim(fields[2][:colon], "[]"), fields[2][colon+1:]
	if host == "" && from != nil {
		host = hostOf(from.addr)
	}
	return slot, net.JoinHostPort(host, port), true
}

// Backoff of retries while the cluster cannot serve a command.
const (
	clusterRetryFirst = 10 * time.Millisecond
	clusterRetryMax   = 250 * time.Millisecond
)

// pause waits before call is sent again: the pause doubles from 10ms up
// to 250ms, with jitter. It fails when ctx ends or RetryWait is spent.
func (sh *clusterShared) pause(ctx context.Context, call *clusterCall) error {
	now := time.Now()
	if call.retryUntil.IsZero() {
		call.retryUntil = now.Add(sh.cfg.RetryWait)
	}
	if !now.Before(call.retryUntil) {
		return errRetryWaitSpent
	}
	d := min(clusterRetryFirst<<min(call.retryPauses, 8), clusterRetryMax)
	d = d/2 + rand.N(d/2+1)
	d = min(d, call.retryUntil.Sub(now))
	call.retryPauses++
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-sh.closing:
		return ErrClosed
	case <-t.C:
		return nil
	}
}

var errRetryWaitSpent = errors.New("redmux: ClusterConfig.RetryWait spent")
