package redmuxotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/redmuxotel"
)

// testTimeout bounds each test's calls.
const testTimeout = 20 * time.Second

// harness is a real redis-server, in-memory trace and metric pipelines,
// and a client hooked to both.
type harness struct {
	ctx    context.Context
	srv    *redistest.Server
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	client *redmux.Client
}

// newHarness starts it all; edit changes the client's Config before New.
// Everything stops when the test ends.
func newHarness(t *testing.T, edit func(*redmux.Config), opts ...redmuxotel.Option) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	h := &harness{ctx: ctx, srv: redistest.StartT(t), spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		require.NoError(t, h.tp.Shutdown(context.Background()))
		require.NoError(t, h.mp.Shutdown(context.Background()))
	})
	opts = append([]redmuxotel.Option{redmuxotel.WithTracerProvider(h.tp), redmuxotel.WithMeterProvider(h.mp)}, opts...)
	cfg := redmux.Config{Addr: h.srv.Addr, Hooks: []redmux.Hook{redmuxotel.Hook(opts...)}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := redmux.New(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	h.client = c
	return h
}

// ended returns the spans ended so far.
func (h *harness) ended() []sdktrace.ReadOnlySpan { return h.spans.Ended() }

// last returns the last span ended.
func (h *harness) last(t *testing.T) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := h.ended()
	require.NotEmpty(t, spans)
	return spans[len(spans)-1]
}

// collect reads every metric once.
func (h *harness) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(h.ctx, &rm))
	return rm
}

// attrs maps a span's attributes by key.
func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// findMetric returns the metric named name, and whether there is one.
func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// mustMetric is findMetric that fails the test when there is none.
func mustMetric(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	m, ok := findMetric(rm, name)
	require.True(t, ok, "no metric %s", name)
	return m
}

// str returns the string attribute k of set, "" when absent.
func str(set attribute.Set, k attribute.Key) string {
	v, _ := set.Value(k)
	return v.AsString()
}

// int64Points maps an Int64 sum's points by the value of key (all points
// with the value add up).
func int64Points(t *testing.T, m metricdata.Metrics, key attribute.Key) map[string]int64 {
	t.Helper()
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T", m.Name, m.Data)
	points := map[string]int64{}
	for _, dp := range sum.DataPoints {
		points[str(dp.Attributes, key)] += dp.Value
	}
	return points
}
