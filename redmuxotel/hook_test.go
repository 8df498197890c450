package redmuxotel_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/redmuxotel"
)

// Both clients report Stats.
var (
	_ redmuxotel.StatsSource = (*redmux.Client)(nil)
	_ redmuxotel.StatsSource = (*redmux.ClusterClient)(nil)
)

func TestCommandSpansFollowTheRedisConventions(t *testing.T) {
	h := newHarness(t, nil)
	require.NoError(t, h.client.Set(h.ctx, "k", []byte("v")))
	_, _, err := h.client.Get(h.ctx, "k")
	require.NoError(t, err)

	spans := h.ended()
	require.Len(t, spans, 2)
	for i, name := range []string{"SET", "GET"} {
		s := spans[i]
		assert.Equal(t, name, s.Name())
		assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		assert.Equal(t, codes.Unset, s.Status().Code)
		assert.Equal(t, redmuxotel.ScopeName, s.InstrumentationScope().Name)
		a := attrs(s.Attributes())
		assert.Equal(t, "redis", a[semconv.DBSystemNameKey].AsString())
		assert.Equal(t, name, a[semconv.DBOperationNameKey].AsString())
		assert.Equal(t, "127.0.0.1", a[semconv.ServerAddressKey].AsString())
		assert.Equal(t, int64(h.srv.Port), a[semconv.ServerPortKey].AsInt64())
		for _, absent := range []attribute.Key{semconv.ErrorTypeKey, semconv.DBOperationBatchSizeKey,
			semconv.DBQueryTextKey, semconv.DBResponseStatusCodeKey, semconv.DBNamespaceKey} {
			assert.NotContains(t, a, absent)
		}
		assert.Empty(t, s.Events())
	}
}

func TestPipelineIsOneSpanWithItsBatchSize(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct {
		name  string
		run   func() error
		batch int64 // -1: none
	}{
		{"PIPELINE", func() error {
			_, err := h.client.Pipeline(h.ctx, []any{"SET", "a", "1"}, []any{"GET", "a"}, []any{"INCR", "b"})
			return err
		}, 3},
		{"PIPELINE GET", func() error {
			_, err := h.client.Pipeline(h.ctx, []any{"GET", "a"}, []any{"GET", "b"})
			return err
		}, 2},
		{"GET", func() error { // a pipeline of one is that command
			_, err := h.client.Pipeline(h.ctx, []any{"GET", "a"})
			return err
		}, -1},
		{"PIPELINE", func() error {
			b := redmux.NewBatch()
			b.Set("c", []byte("x"))
			b.Get("c")
			return h.client.RunBatch(h.ctx, b)
		}, 2},
		{"MULTI INCR", func() error {
			_, err := h.client.Multi(h.ctx, []any{"INCR", "n"}, []any{"INCR", "n"})
			return err
		}, 2},
		{"MULTI", func() error {
			_, err := h.client.Multi(h.ctx, []any{"SET", "m", "1"}, []any{"GET", "m"}, []any{"DEL", "m"})
			return err
		}, 3},
		{"MULTI SET", func() error { // one command in a transaction: no batch
			_, err := h.client.Multi(h.ctx, []any{"SET", "m", "1"})
			return err
		}, -1},
	}
	for _, tc := range cases {
		before := len(h.ended())
		require.NoError(t, tc.run())
		spans := h.ended()
		require.Len(t, spans, before+1, "%s: one span per request", tc.name)
		s := spans[len(spans)-1]
		assert.Equal(t, tc.name, s.Name())
		assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		assert.Equal(t, codes.Unset, s.Status().Code, tc.name)
		a := attrs(s.Attributes())
		assert.Equal(t, tc.name, a[semconv.DBOperationNameKey].AsString())
		assert.Equal(t, "redis", a[semconv.DBSystemNameKey].AsString())
		assert.Equal(t, int64(h.srv.Port), a[semconv.ServerPortKey].AsInt64())
		if tc.batch < 0 {
			assert.NotContains(t, a, semconv.DBOperationBatchSizeKey, tc.name)
		} else {
			assert.Equal(t, tc.batch, a[semconv.DBOperationBatchSizeKey].AsInt64(), tc.name)
		}
	}
}

func TestServerErrorSetsStatusAndErrorType(t *testing.T) {
	h := newHarness(t, nil)
	require.NoError(t, h.client.Set(h.ctx, "s", []byte("text")))

	_, err := h.client.Incr(h.ctx, "s") // ERR value is not an integer
	require.Error(t, err)
	s := h.last(t)
	assert.Equal(t, "INCR", s.Name())
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.Equal(t, err.Error(), s.Status().Description)
	a := attrs(s.Attributes())
	assert.Equal(t, "ERR", a[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, "ERR", a[semconv.DBResponseStatusCodeKey].AsString())
	assert.Equal(t, "server", a["redmux.error.kind"].AsString())
	require.Len(t, s.Events(), 1)
	assert.Equal(t, "exception", s.Events()[0].Name)

	_, err = h.client.Do(h.ctx, "LPUSH", "s", "x") // WRONGTYPE
	require.Error(t, err)
	s = h.last(t)
	assert.Equal(t, "LPUSH", s.Name())
	assert.Equal(t, codes.Error, s.Status().Code)
	a = attrs(s.Attributes())
	assert.Equal(t, "WRONGTYPE", a[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, "WRONGTYPE", a[semconv.DBResponseStatusCodeKey].AsString())
}

func TestPipelineWithAnErrorReplyIsAnError(t *testing.T) {
	h := newHarness(t, nil)
	vals, err := h.client.Pipeline(h.ctx, []any{"SET", "s", "text"}, []any{"INCR", "s"}, []any{"GET", "s"})
	require.NoError(t, err, "an error reply fails only its own Value")
	require.Error(t, vals[1].Err())
	s := h.last(t)
	assert.Equal(t, "PIPELINE", s.Name())
	assert.Equal(t, codes.Error, s.Status().Code)
	a := attrs(s.Attributes())
	assert.Equal(t, "ERR", a[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, int64(3), a[semconv.DBOperationBatchSizeKey].AsInt64())

	// In a transaction the failing command's reply is inside EXEC's.
	vals, err = h.client.Multi(h.ctx, []any{"SET", "t", "1"}, []any{"LPUSH", "t", "x"})
	require.NoError(t, err)
	require.Error(t, vals[1].Err())
	s = h.last(t)
	assert.Equal(t, "MULTI", s.Name())
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.Equal(t, "WRONGTYPE", attrs(s.Attributes())[semconv.ErrorTypeKey].AsString())

	// A command refused when queued aborts EXEC: the queuing error comes
	// first.
	_, err = h.client.Multi(h.ctx, []any{"SET", "t", "1"}, []any{"NOSUCHCOMMAND"})
	require.Error(t, err)
	s = h.last(t)
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.Equal(t, "ERR", attrs(s.Attributes())[semconv.ErrorTypeKey].AsString())
}

func TestClientErrorsAreTypedByKind(t *testing.T) {
	h := newHarness(t, nil)
	cancelled, cancel := context.WithCancel(h.ctx)
	cancel()
	_, _, err := h.client.Get(cancelled, "k")
	require.Error(t, err)
	s := h.last(t)
	assert.Equal(t, codes.Error, s.Status().Code)
	a := attrs(s.Attributes())
	assert.Equal(t, "context", a[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, "context", a["redmux.error.kind"].AsString())
	assert.NotContains(t, a, semconv.DBResponseStatusCodeKey)

	require.NoError(t, h.client.Close())
	_, _, err = h.client.Get(h.ctx, "k")
	require.ErrorIs(t, err, redmux.ErrClosed)
	s = h.last(t)
	assert.Equal(t, "GET", s.Name())
	assert.Equal(t, codes.Error, s.Status().Code)
	a = attrs(s.Attributes())
	assert.Equal(t, "closed", a[semconv.ErrorTypeKey].AsString())
	assert.Equal(t, "closed", a["redmux.error.kind"].AsString())
	assert.NotContains(t, a, semconv.DBResponseStatusCodeKey)
	require.Len(t, s.Events(), 1)
	assert.Equal(t, "exception", s.Events()[0].Name)
}

func TestSpanIsAChildOfTheCallersSpan(t *testing.T) {
	h := newHarness(t, nil)
	ctx, parent := h.tp.Tracer("test").Start(h.ctx, "handle request")
	_, _, err := h.client.Get(ctx, "k")
	require.NoError(t, err)
	_, err = h.client.Pipeline(ctx, []any{"GET", "a"}, []any{"GET", "b"})
	require.NoError(t, err)
	parent.End()

	spans := h.ended()
	require.Len(t, spans, 3)
	for _, s := range spans[:2] {
		assert.Equal(t, parent.SpanContext().TraceID(), s.SpanContext().TraceID(), s.Name())
		assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), s.Name())
	}
	// Without a span in ctx, the span is a root.
	_, _, err = h.client.Get(h.ctx, "k")
	require.NoError(t, err)
	assert.False(t, h.last(t).Parent().IsValid())
}

func TestInnerHooksSeeTheSpan(t *testing.T) {
	var seen trace.SpanContext
	inner := redmux.Hook{Command: func(next redmux.CommandFunc) redmux.CommandFunc {
		return func(ctx context.Context, cmd *redmux.Command) (redmux.Value, error) {
			seen = trace.SpanContextFromContext(ctx)
			return next(ctx, cmd)
		}
	}}
	h := newHarness(t, func(c *redmux.Config) { c.Hooks = append(c.Hooks, inner) })
	_, _, err := h.client.Get(h.ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, h.last(t).SpanContext(), seen)
}

func TestQueryTextIsOptIn(t *testing.T) {
	withArgs := func(c *redmux.Config) { c.HookArguments = true }

	t.Run("on", func(t *testing.T) {
		h := newHarness(t, withArgs, redmuxotel.WithQueryText(true))
		require.NoError(t, h.client.Set(h.ctx, "key", []byte("two words")))
		assert.Equal(t, `SET key "two words"`, attrs(h.last(t).Attributes())[semconv.DBQueryTextKey].AsString())
		_, err := h.client.Pipeline(h.ctx, []any{"GET", "key"}, []any{"EXPIRE", "key", 10})
		require.NoError(t, err)
		assert.Equal(t, "GET key; EXPIRE key 10", attrs(h.last(t).Attributes())[semconv.DBQueryTextKey].AsString())
		big := make([]byte, 4000)
		require.NoError(t, h.client.Set(h.ctx, "big", big))
		assert.LessOrEqual(t, len(attrs(h.last(t).Attributes())[semconv.DBQueryTextKey].AsString()), 1024)
	})
	t.Run("on without HookArguments", func(t *testing.T) {
		h := newHarness(t, nil, redmuxotel.WithQueryText(true))
		require.NoError(t, h.client.Set(h.ctx, "key", []byte("secret")))
		assert.Equal(t, "SET", attrs(h.last(t).Attributes())[semconv.DBQueryTextKey].AsString())
	})
	t.Run("off by default", func(t *testing.T) {
		h := newHarness(t, withArgs)
		require.NoError(t, h.client.Set(h.ctx, "key", []byte("secret")))
		assert.NotContains(t, attrs(h.last(t).Attributes()), semconv.DBQueryTextKey)
	})
}

func TestWithAttributesReachSpansAndMetrics(t *testing.T) {
	h := newHarness(t, nil, redmuxotel.WithAttributes(semconv.DBNamespace("0"), attribute.String("app", "cart")))
	_, _, err := h.client.Get(h.ctx, "k")
	require.NoError(t, err)
	a := attrs(h.last(t).Attributes())
	assert.Equal(t, "0", a[semconv.DBNamespaceKey].AsString())
	assert.Equal(t, "cart", a["app"].AsString())

	hist := mustMetric(t, h.collect(t), redmuxotel.MetricOperationDuration)
	points := hist.Data.(metricdata.Histogram[float64]).DataPoints
	require.NotEmpty(t, points)
	for _, dp := range points {
		assert.Equal(t, "cart", str(dp.Attributes, "app"))
		assert.Equal(t, "0", str(dp.Attributes, semconv.DBNamespaceKey))
	}
}

func TestUnixSocketIsServerAddressAlone(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "redis.sock")
	h := newHarness(t, nil)
	redistest.StartT(t, "--unixsocket", sock, "--unixsocketperm", "700")
	c, err := redmux.New(h.ctx, redmux.Config{Network: "unix", Addr: sock,
		Hooks: []redmux.Hook{redmuxotel.Hook(redmuxotel.WithTracerProvider(h.tp), redmuxotel.WithMeterProvider(h.mp))}})
	require.NoError(t, err)
	defer c.Close()
	_, _, err = c.Get(h.ctx, "k")
	require.NoError(t, err)
	a := attrs(h.last(t).Attributes())
	assert.Equal(t, sock, a[semconv.ServerAddressKey].AsString())
	assert.NotContains(t, a, semconv.ServerPortKey)
}
