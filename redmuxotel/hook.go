package redmuxotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/redmux/redmux"
)

// Metric names of the hook's instruments.
const (
	// MetricOperationDuration is the semantic-convention histogram of
	// the duration of each command and pipeline, in seconds.
	MetricOperationDuration = "db.client.operation.duration"
	// MetricErrors counts failed commands and pipelines.
	MetricErrors = "redmux.client.errors"
)

// durationBuckets are the bucket boundaries the semantic conventions advise
// for db.client.operation.duration, in seconds.
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// instrumenter is the state behind one Hook.
type instrumenter struct {
	tracer    trace.Tracer
	duration  metric.Float64Histogram
	errors    metric.Int64Counter
	addrs     addrCache
	queryText bool
}

// Hook returns a redmux.Hook that traces and measures every command and
// pipeline of the clients it is given to (Config.Hooks, or
// ClusterConfig.Node.Hooks for every node of a cluster): one client span
// per call, a db.client.operation.duration data point, and a count in
// redmux.client.errors when the call fails. The package documentation says
// what the spans and data points hold.
//
// Put it first in Config.Hooks to have the span enclose the other hooks,
// which then see it in their context (trace.SpanFromContext), as a logging
// hook that adds the trace ID would want. The span is a child of any span
// in the caller's context.
//
// The instruments are made when Hook is called; an error making them is
// passed to otel.Handle and the hook goes on without them. The Hook is
// safe for concurrent use and may be shared by any number of clients. It
// sets no Dial field: dials are not traced.
func Hook(opts ...Option) redmux.Hook {
	cfg := newConfig(opts)
	in := &instrumenter{
		tracer:    cfg.tracerProvider.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)),
		addrs:     addrCache{extra: cfg.attrs},
		queryText: cfg.queryText,
	}
	meter := cfg.meterProvider.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	var err error
	if in.duration, err = meter.Float64Histogram(MetricOperationDuration,
		metric.WithDescription("Duration of database client operations."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		otel.Handle(err)
	}
	if in.errors, err = meter.Int64Counter(MetricErrors,
		metric.WithDescription("Commands and pipelines that failed, by error.type and redmux.error.kind."),
		metric.WithUnit("{error}")); err != nil {
		otel.Handle(err)
	}
	return redmux.Hook{Command: in.command, Pipeline: in.pipeline}
}

// command wraps the sending of one command.
func (in *instrumenter) command(next redmux.CommandFunc) redmux.CommandFunc {
	return func(ctx context.Context, cmd *redmux.Command) (redmux.Value, error) {
		op := operation{name: commandName(cmd.Name)}
		base := in.addrs.get(cmd.Addr)
		start := time.Now()
		ctx, span := in.start(ctx, op, base)
		if in.queryText && span.IsRecording() {
			span.SetAttributes(semconv.DBQueryText(queryText([]redmux.Command{*cmd})))
		}
		v, err := next(ctx, cmd)
		in.end(ctx, span, start, op, base, err)
		return v, err
	}
}

// pipeline wraps the sending of a request of several commands.
func (in *instrumenter) pipeline(next redmux.PipelineFunc) redmux.PipelineFunc {
	return func(ctx context.Context, p *redmux.Pipeline) ([]redmux.Value, error) {
		op := pipelineOperation(p.Commands)
		base := in.addrs.get(p.Addr)
		start := time.Now()
		ctx, span := in.start(ctx, op, base)
		if in.queryText && span.IsRecording() {
			span.SetAttributes(semconv.DBQueryText(queryText(p.Commands)))
		}
		vals, err := next(ctx, p)
		failure := err
		if failure == nil {
			failure = replyError(vals, op.tx)
		}
		in.end(ctx, span, start, op, base, failure)
		return vals, err
	}
}

// start starts the span of op, with the attributes the conventions want
// at creation time.
func (in *instrumenter) start(ctx context.Context, op operation, base []attribute.KeyValue) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(base...),
		trace.WithAttributes(semconv.DBOperationName(op.name)),
	}
	if op.isBatch {
		opts = append(opts, trace.WithAttributes(semconv.DBOperationBatchSize(op.batch)))
	}
	return in.tracer.Start(ctx, op.name, opts...)
}

// end records the outcome of op: the span's status and error attributes,
// the duration and, on failure, the error count.
func (in *instrumenter) end(ctx context.Context, span trace.Span, start time.Time, op operation,
	base []attribute.KeyValue, err error) {
	elapsed := time.Since(start).Seconds()
	attrs := make([]attribute.KeyValue, 0, len(base)+4)
	attrs = append(attrs, base...)
	attrs = append(attrs, semconv.DBOperationName(op.name))
	if err != nil {
		errAttrs := errorAttrs(err)
		attrs = append(attrs, errAttrs...)
		span.SetAttributes(errAttrs...)
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		if in.errors != nil {
			in.errors.Add(ctx, 1, metric.WithAttributes(attrs...))
		}
	}
	span.End()
	if in.duration != nil {
		in.duration.Record(ctx, elapsed, metric.WithAttributes(attrs...))
	}
}
