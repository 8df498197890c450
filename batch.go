package redmux

import (
	"context"
	"errors"

	"github.com/redmux/redmux/manager"
)

// Batch collects typed commands to send together, as one pipeline: each
// method queues one command and returns its reply, which is filled in when
// the batch runs. Run it with Client.RunBatch or DedicatedConn.RunBatch.
//
//	b := redmux.NewBatch()
//	name := b.Get("user:1:name")
//	visits := b.Incr("user:1:visits")
//	if err := client.RunBatch(ctx, b); err != nil {
//		return err // the batch as a whole failed: connection, context, ...
//	}
//	n, err := visits.Result() // a server error fails only its own reply
//
// A Batch is not safe for concurrent use. It may be run again: every run
// sends the same commands and overwrites every reply. The replies of a
// batch that failed as a whole all hold that error.
type Batch struct {
	cmd      []byte                     // the encoded commands, back to back
	deliver  []func(v Value, err error) // one per command, in order
	readOnly bool                       // every command only reads
	stateful bool                       // a command changes connection state
	err      error                      // the first command that could not be encoded
}

// NewBatch returns an empty batch.
func NewBatch() *Batch { return &Batch{readOnly: true} }

// Len is the number of commands queued.
func (b *Batch) Len() int { return len(b.deliver) }

// Reply is the reply of one command of a Batch, filled in by the run.
type Reply[T any] struct {
	val T
	err error
}

// Result returns the command's decoded reply, or its error: the server's
// (*RedisError), a decoding error, the batch's if it failed as a whole, or
// ErrNotRun before the batch has run.
func (r *Reply[T]) Result() (T, error) { return r.val, r.err }

// Val returns the decoded reply, the zero T if there was an error.
func (r *Reply[T]) Val() T { return r.val }

// Err returns the reply's error (see Result).
func (r *Reply[T]) Err() error { return r.err }

// MaybeReply is the reply of a command of a Batch whose value may be
// absent, such as GET of a missing key.
type MaybeReply[T any] struct {
	val   T
	found bool
	err   error
}

// Result returns the value, whether it was found, and the error (see
// Reply.Result). A missing value is found == false with a nil error.
func (r *MaybeReply[T]) Result() (T, bool, error) { return r.val, r.found, r.err }

// Err returns the reply's error (see Reply.Result).
func (r *MaybeReply[T]) Err() error { return r.err }

// ErrNotRun is the error of a Batch reply whose batch has not run yet.
var ErrNotRun = errors.New("redmux: the batch has not run")

// add queues c and returns its reply.
func add[T any](b *Batch, c cmd[T]) *Reply[T] {
	r := &Reply[T]{err: ErrNotRun}
	decode := c.decode
	b.queue(c.req, func(v Value, err error) {
		if err != nil {
			var zero T
			r.val, r.err = zero, err
			return
		}
		r.val, r.err = decode(v)
	})
	return r
}

// addOrFail queues c, or records err (an argument that could not be
// encoded), which fails the run before anything is sent.
func addOrFail[T any](b *Batch, c cmd[T], err error) *Reply[T] {
	if err != nil {
		b.err = errors.Join(b.err, err)
		return &Reply[T]{err: err}
	}
	return add(b, c)
}

// addMaybe queues c and returns its reply.
func addMaybe[T any](b *Batch, c maybeCmd[T]) *MaybeReply[T] {
	r := &MaybeReply[T]{err: ErrNotRun}
	decode := c.decode
	b.queue(c.req, func(v Value, err error) {
		if err != nil {
			var zero T
			r.val, r.found, r.err = zero, false, err
			return
		}
		r.val, r.found, r.err = decode(v)
	})
	return r
}

// queue appends req's commands to the batch and releases req.
func (b *Batch) queue(req *manager.Request, deliver func(Value, error)) {
	b.cmd = append(b.cmd, req.Cmd...)
	b.readOnly = b.readOnly && req.ReadOnly
	b.deliver = append(b.deliver, deliver)
	req.Release()
}

// Do queues any command, with the argument rules of Client.Do; its reply
// is the raw Value. An argument that cannot be encoded makes the run fail
// before anything is sent. On a Client, a command that needs a dedicated
// connection (blocking, or changing connection state) fails the run with
// ErrNeedsDedicated; a DedicatedConn runs it. Subscribe commands fail every
// run: they belong to a Subscription.
func (b *Batch) Do(name string, args ...any) *Reply[Value] {
	if isSubscribe(name) {
		err := errSubscribeHere(name)
		b.err = errors.Join(b.err, err)
		return &Reply[Value]{err: err}
	}
	req, err := anyCommand(name, args)
	if err != nil {
		b.err = errors.Join(b.err, err)
		return &Reply[Value]{err: err}
	}
	if routeOf(name, args) != routeShared {
		b.stateful = true
		b.readOnly = false
		req.ReadOnly = false
	}
	return add(b, cmd[Value]{req, decodeValue})
}

// request encodes the batch as one manager request.
func (b *Batch) request() *manager.Request {
	req := manager.NewRequest()
	req.Cmd = append(req.Cmd, b.cmd...)
	req.Replies = len(b.deliver)
	req.ReadOnly = b.readOnly
	return req
}

// settle hands each reply to its command, or err to all of them.
func (b *Batch) settle(replies []Value, err error) {
	for i, deliver := range b.deliver {
		switch {
		case err != nil:
			deliver(Value{}, err)
		case replies[i].Err() != nil:
			deliver(Value{}, replies[i].Err())
		default:
			deliver(replies[i], nil)
		}
	}
}

// RunBatch sends b's commands as one pipeline on one connection and fills
// in their replies. It returns an error only when the batch failed as a
// whole (connection, context, closed client, a command that could not be
// encoded or needs a dedicated connection); a server error reply fails
// only its own command's reply. An empty batch sends nothing.
func (c *Client) RunBatch(ctx context.Context, b *Batch) error {
	if c.closed.Load() {
		b.settle(nil, ErrClosed)
		return ErrClosed
	}
	if err := b.sharable(); err != nil || b.Len() == 0 {
		return err
	}
	replies, err := c.doMulti(ctx, b.request())
	b.settle(replies, err)
	return err
}

// RunBatch sends b's commands as one pipeline on this connection and fills
// in their replies, as Client.RunBatch does. Commands that change the
// connection's state are allowed here; after one, the connection is closed
// rather than reused when fn returns.
func (d *DedicatedConn) RunBatch(ctx context.Context, b *Batch) error {
	if err := b.ready(); err != nil || b.Len() == 0 {
		return err
	}
	if b.stateful {
		d.state.tainted = true
	}
	req := b.request()
	replies, err := d.exchange(ctx, req, req.Replies)
	req.Release()
	b.settle(replies, err)
	return err
}

// sharable fails the batch, and every reply, when it cannot run on a
// shared connection: a command could not be encoded, or one needs a
// dedicated connection.
func (b *Batch) sharable() error {
	if err := b.ready(); err != nil {
		return err
	}
	if b.stateful {
		err := &pipelineRouteError{name: "a command of the batch"}
		b.settle(nil, err)
		return err
	}
	return nil
}

// ready reports a command that could not be encoded, failing every reply.
func (b *Batch) ready() error {
	if b.err != nil {
		b.settle(nil, b.err)
	}
	return b.err
}
