package redmuxotel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter this
// package uses.
const ScopeName = "github.com/redmux/redmux/redmuxotel"

// Option configures Hook and ObserveStats.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is the options, applied.
type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	attrs          []attribute.KeyValue
	queryText      bool
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	if c.meterProvider == nil {
		c.meterProvider = otel.GetMeterProvider()
	}
	return c
}

// WithTracerProvider sets the TracerProvider that makes the spans. The
// default is the global one, otel.GetTracerProvider(), as it is when Hook
// is called (the global provider delegates to one set later).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tracerProvider = tp })
}

// WithMeterProvider sets the MeterProvider of the instruments. The default
// is the global one, otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meterProvider = mp })
}

// WithAttributes adds attributes to every span and every metric data point
// (for example semconv.DBNamespace("2"), or a name telling two clients
// apart when both report their Stats to one meter). Several calls add up.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}

// WithQueryText records db.query.text on spans: the command and its
// arguments in redis-cli syntax ("SET key value"), commands of a pipeline
// separated by "; ", cut to 1024 bytes. It needs the client's
// Config.HookArguments too, without which hooks see no arguments and only
// the command names are recorded. Off by default: arguments may hold
// secrets and personal data, and the semantic conventions advise against
// collecting them unsanitized. It does not affect metrics.
func WithQueryText(enabled bool) Option {
	return optionFunc(func(c *config) { c.queryText = enabled })
}
