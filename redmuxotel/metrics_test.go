package redmuxotel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/redmuxotel"
)

func TestDurationHistogramHasAPointPerOperation(t *testing.T) {
	h := newHarness(t, nil)
	require.NoError(t, h.client.Set(h.ctx, "s", []byte("text")))
	for range 2 {
		_, _, err := h.client.Get(h.ctx, "s")
		require.NoError(t, err)
	}
	_, err := h.client.Incr(h.ctx, "s")
	require.Error(t, err)
	_, err = h.client.Pipeline(h.ctx, []any{"GET", "a"}, []any{"GET", "b"})
	require.NoError(t, err)

	m := mustMetric(t, h.collect(t), redmuxotel.MetricOperationDuration)
	assert.Equal(t, "s", m.Unit)
	hist, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%T", m.Data)
	type point struct{ op, errType string }
	counts := map[point]uint64{}
	for _, dp := range hist.DataPoints {
		counts[point{str(dp.Attributes, semconv.DBOperationNameKey), str(dp.Attributes, semconv.ErrorTypeKey)}] += dp.Count
		assert.Equal(t, []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}, dp.Bounds)
		assert.Positive(t, dp.Sum)
		assert.Equal(t, "redis", str(dp.Attributes, semconv.DBSystemNameKey))
		assert.Equal(t, "127.0.0.1", str(dp.Attributes, semconv.ServerAddressKey))
		port, _ := dp.Attributes.Value(semconv.ServerPortKey)
		assert.Equal(t, int64(h.srv.Port), port.AsInt64())
	}
	assert.Equal(t, map[point]uint64{
		{"SET", ""}:          1,
		{"GET", ""}:          2,
		{"INCR", "ERR"}:      1,
		{"PIPELINE GET", ""}: 1,
	}, counts)
}

func TestErrorCounterCountsByType(t *testing.T) {
	h := newHarness(t, nil)
	require.NoError(t, h.client.Set(h.ctx, "s", []byte("text")))
	for range 2 {
		_, err := h.client.Incr(h.ctx, "s")
		require.Error(t, err)
	}
	_, err := h.client.Do(h.ctx, "LPUSH", "s", "x")
	require.Error(t, err)
	require.NoError(t, h.client.Close())
	_, _, err = h.client.Get(h.ctx, "s")
	require.ErrorIs(t, err, redmux.ErrClosed)

	m := mustMetric(t, h.collect(t), redmuxotel.MetricErrors)
	assert.Equal(t, "{error}", m.Unit)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%T", m.Data)
	assert.True(t, sum.IsMonotonic)
	type point struct{ errType, kind string }
	counts := map[point]int64{}
	for _, dp := range sum.DataPoints {
		counts[point{str(dp.Attributes, semconv.ErrorTypeKey), str(dp.Attributes, "redmux.error.kind")}] += dp.Value
	}
	assert.Equal(t, map[point]int64{
		{"ERR", "server"}:       2,
		{"WRONGTYPE", "server"}: 1,
		{"closed", "closed"}:    1,
	}, counts)
}

func TestObserveStatsReportsTheClientsStats(t *testing.T) {
	h := newHarness(t, func(c *redmux.Config) { c.Managers = 2 })
	stop, err := redmuxotel.ObserveStats(h.client, redmuxotel.WithMeterProvider(h.mp),
		redmuxotel.WithAttributes(attribute.String("app", "cart")))
	require.NoError(t, err)
	for i := range 20 {
		require.NoError(t, h.client.Set(h.ctx, "k", []byte{byte(i)}))
	}
	want := h.client.Stats().Total() // counters only grow: the points are at least this

	rm := h.collect(t)
	managers := mustMetric(t, rm, redmuxotel.MetricManagerCount)
	assert.Equal(t, "{manager}", managers.Unit)
	assert.Equal(t, map[string]int64{"connected": 2, "disconnected": 0},
		int64Points(t, managers, "redmux.manager.state"))
	assert.False(t, managers.Data.(metricdata.Sum[int64]).IsMonotonic)

	one := func(name string) int64 {
		t.Helper()
		m := mustMetric(t, rm, name)
		sum, ok := m.Data.(metricdata.Sum[int64])
		require.True(t, ok, "%s is a %T", name, m.Data)
		require.Len(t, sum.DataPoints, 1, name)
		dp := sum.DataPoints[0]
		assert.Equal(t, "cart", str(dp.Attributes, "app"), name)
		if name != redmuxotel.MetricRerouted && name != redmuxotel.MetricRetried {
			assert.Equal(t, "127.0.0.1", str(dp.Attributes, semconv.ServerAddressKey), name)
		}
		return dp.Value
	}
	assert.GreaterOrEqual(t, one(redmuxotel.MetricCompleted), int64(want.Completed))
	assert.GreaterOrEqual(t, one(redmuxotel.MetricWritten), int64(want.Written))
	assert.GreaterOrEqual(t, int64(want.Completed), int64(20))
	assert.Positive(t, one(redmuxotel.MetricBatches))
	assert.Zero(t, one(redmuxotel.MetricQueued))
	assert.Zero(t, one(redmuxotel.MetricInFlight))
	assert.Zero(t, one(redmuxotel.MetricFailed))
	assert.Zero(t, one(redmuxotel.MetricDropped))
	assert.Zero(t, one(redmuxotel.MetricReconnects))
	assert.Zero(t, one(redmuxotel.MetricStalls))
	assert.Zero(t, one(redmuxotel.MetricPushes))
	assert.Zero(t, one(redmuxotel.MetricRerouted))
	assert.Zero(t, one(redmuxotel.MetricRetried))

	io := int64Points(t, mustMetric(t, rm, redmuxotel.MetricNetworkIO), semconv.NetworkIODirectionKey)
	assert.Positive(t, io["transmit"])
	assert.Positive(t, io["receive"])
	assert.Equal(t, "By", mustMetric(t, rm, redmuxotel.MetricNetworkIO).Unit)

	avg := mustMetric(t, rm, redmuxotel.MetricBatchAverage)
	gauge, ok := avg.Data.(metricdata.Gauge[float64])
	require.True(t, ok, "%T", avg.Data)
	require.Len(t, gauge.DataPoints, 1)
	assert.GreaterOrEqual(t, gauge.DataPoints[0].Value, 1.0)

	require.NoError(t, stop())
	require.NoError(t, stop(), "stop is idempotent")
	rm = h.collect(t)
	for _, name := range []string{redmuxotel.MetricManagerCount, redmuxotel.MetricCompleted, redmuxotel.MetricBatchAverage} {
		if m, ok := findMetric(rm, name); ok {
			assert.Empty(t, dataPoints(m), "%s after stop", name)
		}
	}
}

func TestObserveStatsNeedsASource(t *testing.T) {
	_, err := redmuxotel.ObserveStats(nil)
	require.Error(t, err)
}

// dataPoints returns how many points m holds, whatever its kind.
func dataPoints(m metricdata.Metrics) []any {
	var points []any
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			points = append(points, p)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			points = append(points, p)
		}
	}
	return points
}
