package redmux

import (
	"bytes"
	"context"
	"sync"

	"github.com/redmux/redmux/resp"
)

// A few commands without a key concern every node: in a cluster they run
// on every master and their replies are merged into one.

// fanOut says how to merge the replies of every master, in any order.
type fanOut struct {
	merge func(replies []Value) (Value, error)
}

var (
	// fanOutSum adds integer replies (DBSIZE).
	fanOutSum = &fanOut{merge: func(replies []Value) (Value, error) {
		var sum int64
		for _, v := range replies {
			n, err := v.Int64()
			if err != nil {
				return Value{}, err
			}
			sum += n
		}
		return resp.Integer(sum), nil
	}}
	// fanOutJoin concatenates array replies (KEYS).
	fanOutJoin = &fanOut{merge: func(replies []Value) (Value, error) {
		var all []Value
		for _, v := range replies {
			elems, err := v.Array()
			if err != nil {
				return Value{}, err
			}
			all = append(all, elems...)
		}
		return resp.ArrayOf(all...), nil
	}}
	// fanOutSame returns the first reply: every master did the same
	// (FLUSHALL, SCRIPT LOAD).
	fanOutSame = &fanOut{merge: func(replies []Value) (Value, error) { return replies[0], nil }}
	// fanOutAll keeps a 1 where every master answered 1 (SCRIPT EXISTS).
	fanOutAll = &fanOut{merge: func(replies []Value) (Value, error) {
		var merged []Value
		for i, v := range replies {
			elems, err := v.Array()
			if err != nil {
				return Value{}, err
			}
			if i == 0 {
				merged = append(merged, elems...)
				continue
			}
			for j := range min(len(merged), len(elems)) {
				if n, _ := elems[j].Int64(); n == 0 {
					merged[j] = resp.Integer(0)
				}
			}
		}
		return resp.ArrayOf(merged...), nil
	}}
)

// fanOutOf returns how to run e on every master, or nil for a command
// that runs on one node.
func fanOutOf(e *encodedCommand) *fanOut {
	sub := func(words ...string) bool {
		for _, w := range words {
			if bytes.EqualFold(e.head[0], []byte(w)) {
				return true
			}
		}
		return false
	}
	switch {
	case e.is("DBSIZE"):
		return fanOutSum
	case e.is("KEYS"):
		return fanOutJoin
	case e.is("FLUSHDB"), e.is("FLUSHALL"),
		e.is("SCRIPT") && sub("LOAD", "FLUSH"),
		e.is("FUNCTION") && sub("LOAD", "DELETE", "FLUSH", "RESTORE"):
		return fanOutSame
	case e.is("SCRIPT") && sub("EXISTS"):
		return fanOutAll
	}
	return nil
}

// fanOut runs call on every master at once and merges the replies. The
// first error, a server's error reply included, is returned instead.
func (sh *clusterShared) fanOut(ctx context.Context, call *clusterCall, fan *fanOut) (Value, error) {
	t := sh.topo.Load()
	if t == nil {
		return Value{}, ErrClusterDown
	}
	masters := t.masters()
	replies := make([]Value, len(masters))
	errs := make([]error, len(masters))
	var wg sync.WaitGroup
	for i, m := range masters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i], errs[i] = sh.sendTo(ctx, m, call, false)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			if _, lost := err.(*ConnError); lost {
				sh.kickRefresh()
			}
			return replies[i], err
		}
	}
	return fan.merge(replies)
}

// sendTo sends call once to node, after ASKING when asking.
func (sh *clusterShared) sendTo(ctx context.Context, node *clusterNode, call *clusterCall, asking bool) (Value, error) {
	cl, done, err := node.use(ctx)
	if err != nil {
		return Value{}, err
	}
	defer done()
	return sendOnNode(ctx, cl, call, asking)
}
