package redmux_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/resp"
)

// hookRecord is what a recording hook saw of one call.
type hookRecord struct {
	names     []string
	args      [][][]byte
	addr      string
	dedicated bool
	pipeline  bool
	err       error
	kind      redmux.ErrorKind
	replies   int
}

// recorder is a Hook that records every command and pipeline.
type recorder struct {
	mu      sync.Mutex
	records []hookRecord
	dials   atomic.Int64
}

func (r *recorder) add(rec hookRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
}

func (r *recorder) all() []hookRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRecord(nil), r.records...)
}

func (r *recorder) hook() redmux.Hook {
	return redmux.Hook{
		Dial: func(next redmux.DialFunc) redmux.DialFunc {
			return func(ctx context.Context, network, addr string) (net.Conn, error) {
				r.dials.Add(1)
				return next(ctx, network, addr)
			}
		},
		Command: func(next redmux.CommandFunc) redmux.CommandFunc {
			return func(ctx context.Context, cmd *redmux.Command) (redmux.Value, error) {
				v, err := next(ctx, cmd)
				r.add(hookRecord{names: []string{cmd.Name}, args: [][][]byte{cmd.Args}, addr: cmd.Addr,
					dedicated: cmd.Dedicated, err: err, kind: redmux.KindOf(err), replies: 1})
				return v, err
			}
		},
		Pipeline: func(next redmux.PipelineFunc) redmux.PipelineFunc {
			return func(ctx context.Context, p *redmux.Pipeline) ([]redmux.Value, error) {
				vals, err := next(ctx, p)
				rec := hookRecord{addr: p.Addr, dedicated: p.Dedicated, pipeline: true, err: err, kind: redmux.KindOf(err), replies: len(vals)}
				for _, c := range p.Commands {
					rec.names = append(rec.names, c.Name)
					rec.args = append(rec.args, c.Args)
				}
				r.add(rec)
				return vals, err
			}
		},
	}
}

func TestHookSeesEveryCommandOfAPipelineBatchAndTransaction(t *testing.T) {
	srv := redistest.StartT(t)
	rec := &recorder{}
	ctx := clusterCtx(t, testTimeout)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Hooks: []redmux.Hook{rec.hook()}})
	require.NoError(t, err)
	defer c.Close()

	_, err = c.Pipeline(ctx, []any{"SET", "a", "1"}, []any{"GET", "a"}, []any{"INCR", "b"})
	require.NoError(t, err)
	b := redmux.NewBatch()
	b.Set("c", []byte("x"))
	b.Get("c")
	require.NoError(t, c.RunBatch(ctx, b))
	_, err = c.Multi(ctx, []any{"INCR", "n"}, []any{"INCR", "n"})
	require.NoError(t, err)
	err = c.Watch(ctx, func(tx *redmux.Tx) error {
		_, err := tx.Exec(ctx, []any{"SET", "w", "1"})
		return err
	}, "w")
	require.NoError(t, err)

	var pipelines [][]string
	for _, r := range rec.all() {
		if r.pipeline {
			pipelines = append(pipelines, r.names)
			assert.Equal(t, srv.Addr, r.addr)
		}
	}
	assert.Equal(t, [][]string{
		{"SET", "GET", "INCR"},
		{"SET", "GET"},
		{"MULTI", "INCR", "INCR", "EXEC"},
		{"MULTI", "SET", "EXEC"},
	}, pipelines)
}

func TestHookSeesCommandsWithTheirKindOfError(t *testing.T) {
	srv := redistest.StartT(t)
	rec := &recorder{}
	ctx := clusterCtx(t, testTimeout)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Hooks: []redmux.Hook{rec.hook()}})
	require.NoError(t, err)

	require.NoError(t, c.Set(ctx, "s", []byte("text")))
	_, err = c.Incr(ctx, "s") // server: not an integer
	require.Error(t, err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = c.Get(cancelled, "s") // context
	require.Error(t, err)
	require.NoError(t, c.Close())
	_, _, err = c.Get(ctx, "s") // closed
	require.ErrorIs(t, err, redmux.ErrClosed)

	var kinds []redmux.ErrorKind
	for _, r := range rec.all() {
		kinds = append(kinds, r.kind)
		assert.False(t, r.dedicated)
		assert.Nil(t, r.args[0], "no arguments without HookArguments")
	}
	assert.Equal(t, []redmux.ErrorKind{redmux.KindNone, redmux.KindServer, redmux.KindContext, redmux.KindClosed}, kinds)
}

func TestHookSeesConnectionErrors(t *testing.T) {
	srv := fakeredis.Serve(t, func(c *fakeredis.Conn, cmd []string) {
		if cmd[0] == "GET" {
			c.Close() // sent, then the connection dies
			return
		}
		_ = c.Send(resp.SimpleString("OK"))
	}, fakeredis.AnswerHandshake())
	rec := &recorder{}
	ctx := clusterCtx(t, testTimeout)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1, DisableReadRetry: true, Hooks: []redmux.Hook{rec.hook()}})
	require.NoError(t, err)
	defer c.Close()
	_, _, err = c.Get(ctx, "k")
	var cerr *redmux.ConnError
	require.ErrorAs(t, err, &cerr)
	records := rec.all()
	require.Len(t, records, 1)
	assert.Equal(t, redmux.KindConnection, records[0].kind)
	assert.Equal(t, []string{"GET"}, records[0].names)
}

func TestHookArgumentsOnlyWhenAskedFor(t *testing.T) {
	srv := redistest.StartT(t)
	rec := &recorder{}
	ctx := clusterCtx(t, testTimeout)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, HookArguments: true, Hooks: []redmux.Hook{rec.hook()}})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "key", []byte("secret value")))
	_, err = c.Pipeline(ctx, []any{"GET", "key"}, []any{"EXPIRE", "key", 10})
	require.NoError(t, err)
	records := rec.all()
	require.Len(t, records, 2)
	assert.Equal(t, [][]byte{[]byte("key"), []byte("secret value")}, records[0].args[0])
	assert.Equal(t, [][][]byte{{[]byte("key")}, {[]byte("key"), []byte("10")}}, records[1].args)
}

func TestHooksComposeOutermostFirst(t *testing.T) {
	srv := redistest.StartT(t)
	var mu sync.Mutex
	var order []string
	layer := func(name string) redmux.Hook {
		return redmux.Hook{Command: func(next redmux.CommandFunc) redmux.CommandFunc {
			return func(ctx context.Context, cmd *redmux.Command) (redmux.Value, error) {
				mu.Lock()
				order = append(order, name+" before")
				mu.Unlock()
				v, err := next(ctx, cmd)
				mu.Lock()
				order = append(order, name+" after")
				mu.Unlock()
				return v, err
			}
		}}
	}
	ctx := clusterCtx(t, testTimeout)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Hooks: []redmux.Hook{layer("outer"), {}, layer("inner")}})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Ping(ctx))
	assert.Equal(t, []string{"outer before", "inner before", "inner after", "outer after"}, order)
}

func TestHookCanFailACallWithoutSendingIt(t *testing.T) {
	srv := redistest.StartT(t)
	refused := errors.New("refused by policy")
	ctx := clusterCtx(t, testTimeout)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Hooks: []redmux.Hook{{
		Command: func(next redmux.CommandFunc) redmux.CommandFunc {
			return func(ctx context.Context, cmd *redmux.Command) (redmux.Value, error) {
				if cmd.Name == "FLUSHALL" {
					return redmux.Value{}, refused
				}
				return next(ctx, cmd)
			}
		},
	}}})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "kept", []byte("1")))
	_, err = c.Do(ctx, "FLUSHALL")
	require.ErrorIs(t, err, refused)
	assert.Equal(t, redmux.KindOther, redmux.KindOf(err))
	_, ok, err := c.Get(ctx, "kept")
	require.NoError(t, err)
	assert.True(t, ok, "FLUSHALL was never sent")
}

func TestDialHookSeesEveryDial(t *testing.T) {
	srv := redistest.StartT(t)
	rec := &recorder{}
	ctx := clusterCtx(t, testTimeout)
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 2, Hooks: []redmux.Hook{rec.hook()}})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, int64(2), rec.dials.Load(), "one per manager")
	v, err := c.Do(ctx, "BLPOP", "nothing", 0.01) // a dedicated connection
	require.NoError(t, err)
	assert.True(t, v.IsNull())
	assert.Equal(t, int64(3), rec.dials.Load())
	s, err := c.Subscribe(ctx, "ch")
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, int64(4), rec.dials.Load(), "and the subscription's")
	records := rec.all()
	require.NotEmpty(t, records)
	last := records[len(records)-1]
	assert.Equal(t, []string{"BLPOP"}, last.names)
	assert.True(t, last.dedicated)
}

func TestClusterHooksSeeEachNode(t *testing.T) {
	rec := &recorder{}
	cl, c := newClusterClient(t, redmux.ClusterConfig{Node: redmux.Config{Hooks: []redmux.Hook{rec.hook()}}})
	ctx := clusterCtx(t, testTimeout)
	for i := range 30 {
		require.NoError(t, c.Set(ctx, "hooked:"+string(rune('a'+i)), []byte("v")))
	}
	addrs := map[string]bool{}
	for _, r := range rec.all() {
		if len(r.names) == 1 && r.names[0] == "SET" {
			addrs[r.addr] = true
		}
	}
	masters, err := cl.Masters(ctx)
	require.NoError(t, err)
	assert.Len(t, addrs, len(masters), "SETs seen on every master, each with its node's address")
}
