package redmux

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Upper bounds of Config's numeric fields. Past them a value is a mistake
// (or would exhaust memory before the first command), so New rejects it
// with a *ConfigError naming the field. The Config docs list them.
const (
	limitManagers     = 1024
	limitQueueLen     = 1 << 20
	limitMaxInFlight  = 1 << 20
	limitBatchBytes   = 64 << 20
	limitMaxDedicated = 1 << 16
	limitDB           = math.MaxInt32
	limitDuration     = 24 * time.Hour
	limitBulkLen      = 4 << 30
	limitAggregateLen = 1 << 31
	limitDepth        = 1024
)

// validate reports the first invalid field by name.
func (c Config) validate() error {
	if c.Addr == "" {
		return &ConfigError{Field: "Addr", Reason: "is empty; want host:port, a socket path or a URL"}
	}
	switch c.Network {
	case "", "tcp", "tcp4", "tcp6", "unix":
	default:
		return &ConfigError{Field: "Network", Reason: fmt.Sprintf("is %q; want \"tcp\" or \"unix\"", c.Network)}
	}
	switch c.Protocol {
	case 0, 2, 3:
	default:
		return &ConfigError{Field: "Protocol", Reason: fmt.Sprintf("is %d; want 0 (RESP3, or RESP2 on an old server), 2 or 3", c.Protocol)}
	}
	for _, f := range []struct {
		name       string
		value, max int64
		unit       string
	}{
		{"Managers", int64(c.Managers), limitManagers, ""},
		{"MaxManagers", int64(c.MaxManagers), limitManagers, ""},
		{"DB", int64(c.DB), limitDB, ""},
		{"DialTimeout", int64(c.DialTimeout), int64(limitDuration), "duration"},
		{"HandshakeTimeout", int64(c.HandshakeTimeout), int64(limitDuration), "duration"},
		{"CommandTimeout", int64(c.CommandTimeout), int64(limitDuration), "duration"},
		{"ReconnectWait", int64(c.ReconnectWait), int64(limitDuration), "duration"},
		{"BackoffMin", int64(c.BackoffMin), int64(limitDuration), "duration"},
		{"BackoffMax", int64(c.BackoffMax), int64(limitDuration), "duration"},
		{"StallTimeout", int64(c.StallTimeout), int64(limitDuration), "duration"},
		{"PingTimeout", int64(c.PingTimeout), int64(limitDuration), "duration"},
		{"ShutdownTimeout", int64(c.ShutdownTimeout), int64(limitDuration), "duration"},
		{"QueueLen", int64(c.QueueLen), limitQueueLen, ""},
		{"MaxInFlight", int64(c.MaxInFlight), limitMaxInFlight, ""},
		{"MaxBatchBytes", int64(c.MaxBatchBytes), limitBatchBytes, ""},
		{"MaxDedicated", int64(c.MaxDedicated), limitMaxDedicated, ""},
		{"SubscriptionBuffer", int64(c.SubscriptionBuffer), limitQueueLen, ""},
		{"Limits.MaxBulkLen", c.Limits.MaxBulkLen, limitBulkLen, ""},
		{"Limits.MaxAggregateLen", c.Limits.MaxAggregateLen, limitAggregateLen, ""},
		{"Limits.MaxDepth", int64(c.Limits.MaxDepth), limitDepth, ""},
	} {
		if err := checkRange(f.name, f.value, f.max, f.unit == "duration"); err != nil {
			return err
		}
	}
	if c.MaxManagers != 0 && c.MaxManagers < c.Managers {
		return &ConfigError{Field: "MaxManagers", Reason: fmt.Sprintf("is %d; must be 0 or at least Managers (%d)", c.MaxManagers, c.Managers)}
	}
	return nil
}

// checkRange accepts 0 (the default) up to max.
func checkRange(field string, value, max int64, isDuration bool) error {
	show := func(v int64) string {
		if isDuration {
			return time.Duration(v).String()
		}
		return strconv.FormatInt(v, 10)
	}
	switch {
	case value < 0:
		return &ConfigError{Field: field, Reason: fmt.Sprintf("is %s; must be 0 (default) or positive", show(value))}
	case value > max:
		return &ConfigError{Field: field, Reason: fmt.Sprintf("is %s; must be at most %s", show(value), show(max))}
	}
	return nil
}

// ConfigError reports an invalid Config field, or an invalid FailoverConfig
// field (whose Node fields are named "Node.Addr", "Node.DialTimeout", ...).
type ConfigError struct {
	Field  string
	Reason string

	config string // the struct holding Field, for Error: "Config" when empty
}

func (e *ConfigError) Error() string {
	return "redmux: " + orDefault(e.config, "Config") + "." + e.Field + " " + e.Reason
}
