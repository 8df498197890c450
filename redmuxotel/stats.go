package redmuxotel

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/redmux/redmux"
)

// StatsSource is what ObserveStats reads: *redmux.Client and
// *redmux.ClusterClient both are one.
type StatsSource interface {
	Stats() redmux.Stats
}

// Metric names of the instruments ObserveStats registers.
const (
	// MetricManagerCount is the number of managers (one connection
	// each), by redmux.manager.state "connected" or "disconnected".
	MetricManagerCount = "redmux.client.manager.count"
	// MetricQueued is the number of requests waiting for their
	// manager's writer.
	MetricQueued = "redmux.client.request.queued"
	// MetricInFlight is the number of requests written and waiting for
	// their reply.
	MetricInFlight = "redmux.client.request.in_flight"
	// MetricWritten counts requests written to a connection.
	MetricWritten = "redmux.client.request.written"
	// MetricCompleted counts requests answered.
	MetricCompleted = "redmux.client.request.completed"
	// MetricFailed counts requests failed by a connection error or by
	// shutdown.
	MetricFailed = "redmux.client.request.failed"
	// MetricDropped counts requests never written because their caller
	// gave up first.
	MetricDropped = "redmux.client.request.dropped"
	// MetricRerouted counts requests sent on another connection when
	// theirs failed before they were written.
	MetricRerouted = "redmux.client.request.rerouted"
	// MetricRetried counts read-only requests sent once more when their
	// connection failed after they were written.
	MetricRetried = "redmux.client.request.retried"
	// MetricBatches counts the writes that carried the requests.
	MetricBatches = "redmux.client.batches"
	// MetricBatchAverage is the average number of requests per write
	// since the managers started (written / batches).
	MetricBatchAverage = "redmux.client.batch.average_size"
	// MetricNetworkIO counts bytes written and read, by
	// network.io.direction "transmit" or "receive".
	MetricNetworkIO = "redmux.client.network.io"
	// MetricReconnects counts the connections made again after one
	// failed.
	MetricReconnects = "redmux.client.connection.reconnects"
	// MetricStalls counts connections declared dead by stall detection.
	MetricStalls = "redmux.client.connection.stalls"
	// MetricPushes counts the RESP3 push messages received.
	MetricPushes = "redmux.client.pushes"
)

// managerStateKey is the attribute of MetricManagerCount.
const managerStateKey = attribute.Key("redmux.manager.state")

// ObserveStats registers observable instruments that report s.Stats() at
// each collection (the MetricManagerCount ... MetricPushes constants name
// them), and returns a function that unregisters them.
//
// Every data point except rerouted and retried, which belong to the client
// as a whole, is per server: the managers with the same address are added
// up and the point carries server.address and server.port, so a
// ClusterClient reports each node. The options' attributes are on every
// point; when two clients report to one MeterProvider, tell them apart
// with WithAttributes, or their points collide.
//
// Counts of requests, managers and queues are UpDownCounters, totals are
// Counters (cumulative since the client started) and the average batch
// size is a Gauge. Only WithMeterProvider and WithAttributes apply.
//
// The callback runs on the goroutine that collects, concurrently with the
// client's calls, which is safe: Stats is. stop may be called from any
// goroutine; it is safe to call more than once, and returns the error of
// the first call.
func ObserveStats(s StatsSource, opts ...Option) (stop func() error, err error) {
	if s == nil {
		return nil, errors.New("redmuxotel: ObserveStats: nil StatsSource")
	}
	cfg := newConfig(opts)
	meter := cfg.meterProvider.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	o := &statsObserver{src: s, attrs: cfg.attrs}
	if err := o.instruments(meter); err != nil {
		return nil, err
	}
	reg, err := meter.RegisterCallback(o.observe, o.all...)
	if err != nil {
		return nil, err
	}
	var (
		once    sync.Once
		stopErr error
	)
	return func() error {
		once.Do(func() { stopErr = reg.Unregister() })
		return stopErr
	}, nil
}

// statsObserver turns one source's Stats into observations.
type statsObserver struct {
	src   StatsSource
	attrs []attribute.KeyValue

	managers, queued, inFlight                           metric.Int64ObservableUpDownCounter
	written, completed, failed, dropped, batches         metric.Int64ObservableCounter
	rerouted, retried, netIO, reconnects, stalls, pushes metric.Int64ObservableCounter
	batchAverage                                         metric.Float64ObservableGauge
	all                                                  []metric.Observable
}

func (o *statsObserver) instruments(m metric.Meter) error {
	var errs []error
	upDown := func(name, unit, desc string) metric.Int64ObservableUpDownCounter {
		inst, err := m.Int64ObservableUpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		o.all = append(o.all, inst)
		return inst
	}
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		inst, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		o.all = append(o.all, inst)
		return inst
	}
	o.managers = upDown(MetricManagerCount, "{manager}", "Managers (one connection each), by redmux.manager.state.")
	o.queued = upDown(MetricQueued, "{request}", "Requests waiting for their manager's writer.")
	o.inFlight = upDown(MetricInFlight, "{request}", "Requests written and waiting for their reply.")
	o.written = counter(MetricWritten, "{request}", "Requests written to a connection.")
	o.completed = counter(MetricCompleted, "{request}", "Requests answered.")
	o.failed = counter(MetricFailed, "{request}", "Requests failed by a connection error or by shutdown.")
	o.dropped = counter(MetricDropped, "{request}", "Requests never written because their caller gave up first.")
	o.rerouted = counter(MetricRerouted, "{request}", "Requests sent on another connection when theirs failed before they were written.")
	o.retried = counter(MetricRetried, "{request}", "Read-only requests sent once more when their connection failed after they were written.")
	o.batches = counter(MetricBatches, "{batch}", "Writes that carried the requests.")
	o.netIO = counter(MetricNetworkIO, "By", "Bytes written and read, by network.io.direction.")
	o.reconnects = counter(MetricReconnects, "{reconnect}", "Connections made again after one failed.")
	o.stalls = counter(MetricStalls, "{stall}", "Connections declared dead by stall detection.")
	o.pushes = counter(MetricPushes, "{push}", "RESP3 push messages received.")
	avg, err := m.Float64ObservableGauge(MetricBatchAverage, metric.WithUnit("{request}"),
		metric.WithDescription("Average number of requests per write since the managers started."))
	errs = append(errs, err)
	o.batchAverage = avg
	o.all = append(o.all, avg)
	return errors.Join(errs...)
}

// server is the sum of the managers of one address.
type server struct {
	addr         string
	stats        redmux.ManagerStats
	connected    int64
	disconnected int64
}

// observe is the callback: one Stats snapshot, per server.
func (o *statsObserver) observe(_ context.Context, obs metric.Observer) error {
	st := o.src.Stats()
	var servers []*server
	index := map[string]*server{}
	for _, m := range st.Managers {
		s := index[m.Addr]
		if s == nil {
			s = &server{addr: m.Addr}
			index[m.Addr] = s
			servers = append(servers, s)
		}
		s.stats = redmux.Stats{Managers: []redmux.ManagerStats{s.stats, m}}.Total()
		if m.Connected {
			s.connected++
		} else {
			s.disconnected++
		}
	}
	for _, s := range servers {
		attrs := append(serverAttrs(s.addr), o.attrs...)
		at := metric.WithAttributes(attrs...)
		t := s.stats
		obs.ObserveInt64(o.managers, s.connected, metric.WithAttributes(append(attrs, managerStateKey.String("connected"))...))
		obs.ObserveInt64(o.managers, s.disconnected, metric.WithAttributes(append(attrs, managerStateKey.String("disconnected"))...))
		obs.ObserveInt64(o.queued, int64(t.Queued), at)
		obs.ObserveInt64(o.inFlight, int64(t.InFlight), at)
		obs.ObserveInt64(o.written, clamp(t.Written), at)
		obs.ObserveInt64(o.completed, clamp(t.Completed), at)
		obs.ObserveInt64(o.failed, clamp(t.Failed), at)
		obs.ObserveInt64(o.dropped, clamp(t.Dropped), at)
		obs.ObserveInt64(o.batches, clamp(t.Batches), at)
		obs.ObserveInt64(o.netIO, clamp(t.BytesOut), metric.WithAttributes(append(attrs, semconv.NetworkIODirectionTransmit)...))
		obs.ObserveInt64(o.netIO, clamp(t.BytesIn), metric.WithAttributes(append(attrs, semconv.NetworkIODirectionReceive)...))
		obs.ObserveInt64(o.reconnects, clamp(t.Reconnects), at)
		obs.ObserveInt64(o.stalls, clamp(t.Stalls), at)
		obs.ObserveInt64(o.pushes, clamp(t.Pushes), at)
		obs.ObserveFloat64(o.batchAverage, t.AvgBatch(), at)
	}
	client := metric.WithAttributes(o.attrs...)
	obs.ObserveInt64(o.rerouted, clamp(st.Rerouted), client)
	obs.ObserveInt64(o.retried, clamp(st.Retried), client)
	return nil
}

// clamp converts a counter to the int64 the instruments take.
func clamp(n uint64) int64 {
	if n > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(n)
}
