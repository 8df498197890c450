package redmuxotel_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"log/slog"
	"os"
	"sort"
	"sync"

	"github.com/alicebob/miniredis/v2"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/redmuxotel"
)

// Wire the hook, ObserveStats and log/slog together: the otel hook comes
// first in Config.Hooks, so a logging hook after it runs inside the
// command's span, and a slog handler that reads the span from the context
// puts its IDs on every log line.
func Example() {
	addr, stopServer := exampleServer()
	defer stopServer()
	ctx := context.Background()

	// The SDK's providers. Real code exports to a collector, and keeps the
	// SDK's random IDs; fixed IDs make the output below stable.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans), sdktrace.WithIDGenerator(&sequentialIDs{}))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer tp.Shutdown(ctx)
	defer mp.Shutdown(ctx)

	logger := slog.New(traceHandler{slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: withoutTime})})

	c, err := redmux.New(ctx, redmux.Config{
		Addr: addr,
		Hooks: []redmux.Hook{
			redmuxotel.Hook(redmuxotel.WithTracerProvider(tp), redmuxotel.WithMeterProvider(mp)),
			logFailures(logger),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	stopStats, err := redmuxotel.ObserveStats(c, redmuxotel.WithMeterProvider(mp))
	if err != nil {
		log.Fatal(err)
	}
	defer stopStats()

	ctx, span := tp.Tracer("shop").Start(ctx, "checkout")
	if err := c.Set(ctx, "cart:1", []byte("3 items")); err != nil {
		log.Fatal(err)
	}
	_, _ = c.Incr(ctx, "cart:1") // fails, and is logged with its span
	span.End()

	for _, s := range spans.Ended() {
		fmt.Printf("span %s %s parent=%s status=%s\n", s.Name(), s.SpanContext().SpanID(), s.Parent().SpanID(), s.Status().Code)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					op, _ := dp.Attributes.Value(semconv.DBOperationNameKey)
					errType, _ := dp.Attributes.Value(semconv.ErrorTypeKey)
					lines = append(lines, fmt.Sprintf("%s %s error.type=%q count=%d", m.Name, op.AsString(), errType.AsString(), dp.Count))
				}
			case metricdata.Sum[int64]:
				if m.Name == redmuxotel.MetricErrors || m.Name == redmuxotel.MetricCompleted {
					for _, dp := range d.DataPoints {
						lines = append(lines, fmt.Sprintf("%s positive=%v", m.Name, dp.Value > 0))
					}
				}
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// level=ERROR msg="redis command failed" command=INCR kind=server err="ERR value is not an integer or out of range" trace_id=00000000000000000000000000000001 span_id=0000000000000003
	// span SET 0000000000000002 parent=0000000000000001 status=Unset
	// span INCR 0000000000000003 parent=0000000000000001 status=Error
	// span checkout 0000000000000001 parent=0000000000000000 status=Unset
	// db.client.operation.duration INCR error.type="ERR" count=1
	// db.client.operation.duration SET error.type="" count=1
	// redmux.client.errors positive=true
	// redmux.client.request.completed positive=true
}

// logFailures is a Hook that logs each failed command with slog, with the
// context it is given: inside the otel hook, the command's span.
func logFailures(logger *slog.Logger) redmux.Hook {
	return redmux.Hook{Command: func(next redmux.CommandFunc) redmux.CommandFunc {
		return func(ctx context.Context, cmd *redmux.Command) (redmux.Value, error) {
			v, err := next(ctx, cmd)
			if err != nil {
				logger.ErrorContext(ctx, "redis command failed", "command", cmd.Name, "kind", redmux.KindOf(err), "err", err)
			}
			return v, err
		}
	}}
}

// traceHandler adds the trace and span IDs of the record's context.
type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}

// withoutTime drops the time from log lines, for a stable output.
func withoutTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// exampleServer starts an in-process server so the example runs anywhere;
// real code passes the address of its Redis server instead.
func exampleServer() (addr string, stop func()) {
	srv, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	return srv.Addr(), srv.Close
}

// sequentialIDs numbers traces and spans 1, 2, 3, ...
type sequentialIDs struct {
	mu          sync.Mutex
	trace, span uint64
}

func (g *sequentialIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trace++
	g.span++
	var tid trace.TraceID
	binary.BigEndian.PutUint64(tid[8:], g.trace)
	return tid, g.spanID()
}

func (g *sequentialIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.span++
	return g.spanID()
}

func (g *sequentialIDs) spanID() trace.SpanID {
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], g.span)
	return sid
}
