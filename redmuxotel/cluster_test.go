package redmuxotel_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/redmuxotel"
)

// A cluster's nodes each get the hook through ClusterConfig.Node.Hooks:
// spans carry the node's port, and ObserveStats reports each node.
func TestClusterNodesAreTracedAndObservedEach(t *testing.T) {
	cl := redistest.StartClusterT(t, 3, 0)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(t, cl.WaitHealthy(ctx))

	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) }()

	cfg := redmux.ClusterConfig{Addrs: cl.Addrs()[:1]}
	cfg.Node.Hooks = []redmux.Hook{redmuxotel.Hook(redmuxotel.WithTracerProvider(tp), redmuxotel.WithMeterProvider(mp))}
	c, err := redmux.NewCluster(ctx, cfg)
	require.NoError(t, err)
	defer c.Close()
	stop, err := redmuxotel.ObserveStats(c, redmuxotel.WithMeterProvider(mp))
	require.NoError(t, err)
	defer stop()

	for i := range 30 { // keys on every master
		require.NoError(t, c.Set(ctx, fmt.Sprintf("key%d", i), []byte("v")))
	}

	nodePorts := map[int64]bool{}
	for _, a := range cl.Addrs() {
		_, port, err := net.SplitHostPort(a)
		require.NoError(t, err)
		p, err := strconv.Atoi(port)
		require.NoError(t, err)
		nodePorts[int64(p)] = true
	}
	spanPorts := map[int64]bool{}
	for _, s := range spans.Ended() {
		if s.Name() != "SET" {
			continue
		}
		p := attrs(s.Attributes())[semconv.ServerPortKey].AsInt64()
		assert.True(t, nodePorts[p], "span on port %d, not a node's", p)
		spanPorts[p] = true
	}
	assert.Len(t, spanPorts, 3, "the SETs went to every master")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	completed := mustMetric(t, rm, redmuxotel.MetricCompleted).Data.(metricdata.Sum[int64])
	statPorts := map[int64]bool{}
	for _, dp := range completed.DataPoints {
		p, _ := dp.Attributes.Value(semconv.ServerPortKey)
		statPorts[p.AsInt64()] = true
	}
	for p := range spanPorts {
		assert.True(t, statPorts[p], "no Stats point for the node on port %d", p)
	}
}
