package redmux

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/redmux/redmux/manager"
)

// Pipeline sends several commands as Client.Pipeline does, split by node:
// the commands for each node go as one pipeline on one of its
// connections, the nodes' parts are sent concurrently, and the replies
// come back in the caller's order. A command redirected (MOVED, ASK) or
// refused for a while (TRYAGAIN, CLUSTERDOWN), or one whose node could not
// be reached before it was sent, is sent again alone, in order, after the
// parts; the others are not resent. Per-command server errors are in each
// Value, as on Client; the error result is for a failure that is not one
// command's reply (context, closed client, a connection lost after a
// part that writes was sent: other nodes' parts may have run).
func (c *ClusterClient) Pipeline(ctx context.Context, cmds ...[]any) ([]Value, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	var buf []byte
	ends := make([]int, 0, len(cmds))
	for _, entry := range cmds {
		var err error
		if buf, _, err = appendSharedEntry(buf, entry); err != nil {
			return nil, err
		}
		ends = append(ends, len(buf))
	}
	return c.shared.pipeline(ctx, buf, ends)
}

// RunBatch runs b's commands as Pipeline does, split by node, and fills
// in their replies; the rules are Client.RunBatch's.
func (c *ClusterClient) RunBatch(ctx context.Context, b *Batch) error {
	if c.closed.Load() {
		b.settle(nil, ErrClosed)
		return ErrClosed
	}
	if err := b.sharable(); err != nil || b.Len() == 0 {
		return err
	}
	ends, err := splitCommands(b.cmd)
	if err != nil {
		b.settle(nil, err)
		return err
	}
	replies, err := c.shared.pipeline(ctx, b.cmd, ends)
	b.settle(replies, err)
	return err
}

// pipelinePart is the commands of a pipeline that go to one node.
type pipelinePart struct {
	node    *clusterNode
	entries []int
}

// pipeline runs the commands encoded in buf (ending at ends) split by
// node, and returns their replies in order.
func (sh *clusterShared) pipeline(ctx context.Context, buf []byte, ends []int) ([]Value, error) {
	calls, alone, parts, err := sh.splitByNode(buf, ends)
	if err != nil {
		return nil, err
	}
	replies := make([]Value, len(calls))
	redo := make([][]int, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		if i == len(parts)-1 { // the last part runs on this goroutine
			redo[i], errs[i] = sh.sendPart(ctx, p, calls, replies)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			redo[i], errs[i] = sh.sendPart(ctx, p, calls, replies)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, r := range redo {
		alone = append(alone, r...)
	}
	return replies, sh.sendAlone(ctx, calls, sorted(alone), replies)
}

// splitByNode reads each command and groups them by target node. Those
// that concern every master, or whose slot has no node now, go alone.
func (sh *clusterShared) splitByNode(buf []byte, ends []int) (calls []*clusterCall, alone []int, parts []*pipelinePart, err error) {
	byNode := map[*clusterNode]*pipelinePart{}
	start := 0
	for i, end := range ends {
		call, e, err := pipelineCall(buf[start:end])
		if err != nil {
			return nil, nil, nil, err
		}
		start = end
		calls = append(calls, call)
		node, err := sh.target(call)
		if err != nil || fanOutOf(&e) != nil {
			alone = append(alone, i)
			continue
		}
		p := byNode[node]
		if p == nil {
			p = &pipelinePart{node: node}
			byNode[node] = p
			parts = append(parts, p)
		}
		p.entries = append(p.entries, i)
	}
	return calls, alone, parts, nil
}

// pipelineCall reads one encoded command of a pipeline.
func pipelineCall(cmd []byte) (*clusterCall, encodedCommand, error) {
	e, err := readCommand(cmd)
	if err != nil {
		return nil, e, err
	}
	call := &clusterCall{cmd: cmd, readOnly: isReadOnly(e.Name()), slot: -1}
	if key, keyed := e.firstKey(); keyed {
		call.slot = keySlot(key)
	}
	return call, e, nil
}

// sendPart sends one node's part as one pipeline and stores its replies.
// It returns the entries to send again alone: redirected or refused ones,
// or all of them when the part was never sent (or only reads).
func (sh *clusterShared) sendPart(ctx context.Context, p *pipelinePart, calls []*clusterCall, replies []Value) ([]int, error) {
	req := manager.NewRequest()
	req.ReadOnly = true
	for _, i := range p.entries {
		req.Cmd = append(req.Cmd, calls[i].cmd...)
		req.ReadOnly = req.ReadOnly && calls[i].readOnly
	}
	req.Replies = len(p.entries)
	readOnly := req.ReadOnly
	vals, err := sh.sendRequest(ctx, p.node, req)
	if err != nil {
		var cerr *ConnError
		if errors.As(err, &cerr) {
			sh.kickRefresh()
			if !cerr.Sent || readOnly {
				return p.entries, nil
			}
		}
		return nil, err
	}
	var redo []int
	for k, i := range p.entries {
		if sh.redirected(vals[k], p.node) {
			redo = append(redo, i)
			continue
		}
		replies[i] = vals[k]
	}
	return redo, nil
}

// sendRequest sends a request of several commands to node.
func (sh *clusterShared) sendRequest(ctx context.Context, node *clusterNode, req *manager.Request) ([]Value, error) {
	if !node.acquire() {
		req.Release()
		return nil, errNodeRetired
	}
	defer node.release()
	cl, err := node.connected(ctx)
	if err != nil {
		req.Release()
		return nil, err
	}
	return cl.doMulti(ctx, req)
}

// redirected reports a reply that the cluster client must send again,
// and applies a MOVED to the slot map at once.
func (sh *clusterShared) redirected(v Value, from *clusterNode) bool {
	var rerr *RedisError
	if !errors.As(v.Err(), &rerr) {
		return false
	}
	switch rerr.Prefix {
	case "MOVED":
		if slot, addr, ok := parseRedirect(rerr.Message, from); ok {
			sh.applyMoved(slot, addr)
			sh.kickRefresh()
		}
		return true
	case "ASK", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "MASTERDOWN", "LOADING":
		return true
	}
	return false
}

// sendAlone sends the given entries one at a time, in order, with the
// retries of a single command.
func (sh *clusterShared) sendAlone(ctx context.Context, calls []*clusterCall, entries []int, replies []Value) error {
	for _, i := range entries {
		call := calls[i]
		var v Value
		var err error
		if e, _ := readCommand(call.cmd); fanOutOf(&e) != nil {
			v, err = sh.fanOut(ctx, call, fanOutOf(&e))
		} else {
			v, err = sh.do(ctx, call)
		}
		var rerr *RedisError
		if err != nil && !errors.As(err, &rerr) {
			return err
		}
		replies[i] = v
	}
	return nil
}

// sorted sorts entry numbers in place and returns them.
func sorted(s []int) []int {
	slices.Sort(s)
	return s
}
