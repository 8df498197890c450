package pool

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// maxResends bounds how often one request is sent again. A request is
// resent only when a connection fails under it, and only to a manager that
// is connected, so the bound is never reached in practice; it keeps a
// pathological flapping server from looping a call forever when its
// context has no deadline.
const maxResends = 32

// Do sends one command through the least-loaded connected manager and
// returns its reply. It takes ownership of req, which must be idle, and
// releases it. Server error replies are returned as values.
//
// A request that was never sent (queued on a manager whose connection
// died, or on one redialing) goes at once to another connected manager; a
// read-only request lost with its connection after it was sent is sent
// once more, unless DisableReadRetry; a write that was sent is never sent
// again, unless its reply made its manager redial (see refused). When no manager is connected a request waits for one to
// reconnect, no longer than ctx and ReconnectWait, then fails with a
// *manager.ConnError carrying the latest connection failure. If ctx ends
// while the request is in flight, Do returns ctx's error and the manager
// reads and drops the reply.
func (p *Pool) Do(ctx context.Context, req *manager.Request) (resp.Value, error) {
	if err := p.send(ctx, req); err != nil {
		return resp.Value{}, err
	}
	replies, err := req.Result()
	var v resp.Value
	if err == nil {
		v = replies[0]
	}
	req.Release()
	return v, err
}

// DoMulti sends a pipeline through the least-loaded connected manager as
// one FIFO entry and returns its req.Replies replies in order, which
// belong to the caller; otherwise it is Do. It is resent after a sent
// failure only if req.ReadOnly says every command in it only reads.
func (p *Pool) DoMulti(ctx context.Context, req *manager.Request) ([]resp.Value, error) {
	if err := p.send(ctx, req); err != nil {
		return nil, err
	}
	replies, err := req.Result()
	replies = slices.Clone(replies) // they are the request's until Release
	req.Release()
	return replies, err
}

// send runs req until it has an outcome nobody may retry. It takes
// ownership of req, which must be idle. On a nil error req is completed
// and the caller owns it again, to read its Result and Release it; on an
// error the request is gone (released, or left to a manager when ctx
// ended).
func (p *Pool) send(ctx context.Context, req *manager.Request) error {
	var waitUntil time.Time
	var used oneTimeResends
	for resends := 0; ; resends++ {
		m, err := p.pickConnected(ctx, req, &waitUntil)
		if err != nil {
			return err
		}
		if !m.Send(ctx, req) {
			return ctx.Err()
		}
		_, err = req.Result()
		if err != nil && p.refusedByRetired(req) && resends < maxResends {
			req.Rearm()
			continue
		}
		if counter := p.resendCounter(req, err, &used); counter != nil && resends < maxResends {
			counter.Add(1)
			req.Rearm()
			continue
		}
		return nil
	}
}

// refusedByRetired reports whether req, completed, was refused by a
// closing manager while the pool is open: a manager the pool retired (see
// Pool.retire), picked just before. The request was never sent and goes
// to another manager.
func (p *Pool) refusedByRetired(req *manager.Request) bool {
	return req.Refused() && !p.closed()
}

// oneTimeResends records the resends a request may have once: of a read
// lost with its connection, and of a command the wrong server refused.
type oneTimeResends struct{ read, refused bool }

// resendCounter decides whether a request whose outcome is err (nil: its
// replies) is sent again, and returns the counter to charge for it (nil:
// not sent again).
func (p *Pool) resendCounter(req *manager.Request, err error, used *oneTimeResends) *atomic.Uint64 {
	if err == nil {
		if p.redialOn != nil && !used.refused && p.refused(req) {
			used.refused = true
			return &p.rerouted
		}
		return nil // the common case: no errors.As, whose target would escape
	}
	var ce *manager.ConnError
	if !errors.As(err, &ce) {
		return nil
	}
	switch {
	case !ce.Sent:
		return &p.rerouted
	case req.ReadOnly && p.readRetry && !used.read:
		used.read = true
		return &p.retried
	}
	return nil
}

// refused reports whether req, a single command, was answered with an
// error that made its manager redial (manager.Config.RedialOn): a server
// that is no longer the right one refused it, so it did not run, and it
// may go once more to the connection that replaces that one. A pipeline
// is never resent: its other commands may have run.
func (p *Pool) refused(req *manager.Request) bool {
	replies, _ := req.Result()
	if req.Replies != 1 || len(replies) != 1 {
		return false
	}
	if t := replies[0].Type(); t != resp.TypeSimpleError && t != resp.TypeBulkError {
		return false
	}
	return p.redialOn(replies[0]) != nil
}

// Rerouted returns how many times a request that was never sent went to
// another manager because its connection failed, or a command refused by
// a server that is no longer the right one (manager.Config.RedialOn) was
// sent again.
func (p *Pool) Rerouted() uint64 { return p.rerouted.Load() }

// Retried returns how many read-only requests were sent once more after
// their connection failed under them.
func (p *Pool) Retried() uint64 { return p.retried.Load() }
