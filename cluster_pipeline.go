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
	req, err := pipelineRequest(cmds)
	if err != nil {
		return nil, err
	}
	defer req.Release()
	ends, err := splitCommands(req.Cmd)
	if err != nil {
		return nil, err
	}
	return c.shared.pipeline(ctx, req.Cmd, ends)
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
// node, and returns their replies in order. A command that runs on every
// master (FLUSHALL, SCRIPT LOAD) is a barrier: the commands before it are
// answered first, and those after it are sent once it is.
func (sh *clusterShared) pipeline(ctx context.Context, buf []byte, ends []int) ([]Value, error) {
	calls, err := pipelineCalls(buf, ends)
	if err != nil {
		return nil, err
	}
	replies := make([]Value, len(calls))
	for start := 0; start < len(calls); {
		end := start
		for end < len(calls) && calls[end].fan == nil {
			end++
		}
		if err := sh.pipelineSegment(ctx, calls, start, end, replies); err != nil {
			return nil, err
		}
		if end < len(calls) { // the barrier itself
			if err := sh.sendAlone(ctx, calls, []int{end}, replies); err != nil {
				return nil, err
			}
			end++
		}
		start = end
	}
	return replies, nil
}

// pipelineSegment sends calls[start:end] split by node, the parts
// concurrently, then alone those that must be sent again.
func (sh *clusterShared) pipelineSegment(ctx context.Context, calls []*clusterCall, start, end int, replies []Value) error {
	alone, parts := sh.splitByNode(calls, start, end)
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
		return err
	}
	for _, r := range redo {
		alone = append(alone, r...)
	}
	slices.Sort(alone)
	return sh.sendAlone(ctx, calls, alone, replies)
}

// pipelineCalls reads each command of a pipeline.
func pipelineCalls(buf []byte, ends []int) ([]*clusterCall, error) {
	calls := make([]*clusterCall, 0, len(ends))
	start := 0
	for _, end := range ends {
		e, err := readCommand(buf[start:end])
		if err != nil {
			return nil, err
		}
		call := &clusterCall{cmd: buf[start:end], readOnly: isReadOnly(e.Name()), slot: -1, fan: fanOutOf(&e)}
		if key, keyed := e.firstKey(); keyed {
			call.slot = keySlot(key)
		}
		calls = append(calls, call)
		start = end
	}
	return calls, nil
}

// splitByNode groups calls[start:end] by target node; those whose slot
// has no node now go alone.
func (sh *clusterShared) splitByNode(calls []*clusterCall, start, end int) (alone []int, parts []*pipelinePart) {
	byNode := map[*clusterNode]*pipelinePart{}
	for i := start; i < end; i++ {
		node, err := sh.target(calls[i])
		if err != nil {
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
	return alone, parts
}

// sendPart sends one node's part as one pipeline and stores its replies.
// It returns the entries to send again alone: those redirected or
// refused, or all of them when the part was never sent (or was only
// reads, which may be sent once more).
func (sh *clusterShared) sendPart(ctx context.Context, p *pipelinePart, calls []*clusterCall, replies []Value) ([]int, error) {
	req := manager.NewRequest()
	req.ReadOnly = true
	for _, i := range p.entries {
		req.Cmd = append(req.Cmd, calls[i].cmd...)
		req.ReadOnly = req.ReadOnly && calls[i].readOnly
	}
	req.Replies = len(p.entries)
	vals, err := sh.sendRequest(ctx, p.node, req)
	if err != nil {
		return sh.partFailed(p, calls, err)
	}
	var redo []int
	for k, i := range p.entries {
		if sh.sendAgain(calls[i], p.node, vals[k]) {
			redo = append(redo, i)
			continue
		}
		replies[i] = vals[k]
	}
	return redo, nil
}

// partFailed decides what follows a part that failed as a whole: its
// commands are sent again alone when none ran, or when all were reads
// that may be sent once more; otherwise the pipeline fails.
func (sh *clusterShared) partFailed(p *pipelinePart, calls []*clusterCall, err error) ([]int, error) {
	var cerr *ConnError
	if !errors.As(err, &cerr) {
		return nil, err
	}
	for _, i := range p.entries {
		if sh.nextStep(calls[i], p.node, err).kind != stepRetry {
			return nil, err
		}
	}
	return p.entries, nil
}

// sendRequest sends a request of several commands to node.
func (sh *clusterShared) sendRequest(ctx context.Context, node *clusterNode, req *manager.Request) ([]Value, error) {
	cl, done, err := node.use(ctx)
	if err != nil {
		req.Release()
		return nil, err
	}
	defer done()
	return cl.doMulti(ctx, req)
}

// sendAgain reports whether one reply of a part is a redirection or
// refusal, so that its command must be sent again alone; it follows a
// MOVED in the slot map at once.
func (sh *clusterShared) sendAgain(call *clusterCall, from *clusterNode, v Value) bool {
	next := sh.nextStep(call, from, v.Err())
	if next.kind == stepMoved {
		sh.followMoved(call, next)
	}
	return next.kind != stepDone
}

// sendAlone sends the given entries one at a time, in order, with the
// retries of a single command.
func (sh *clusterShared) sendAlone(ctx context.Context, calls []*clusterCall, entries []int, replies []Value) error {
	for _, i := range entries {
		call := calls[i]
		var v Value
		var err error
		if call.fan != nil {
			v, err = sh.fanOut(ctx, call, call.fan)
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
