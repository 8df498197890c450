package redmux_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// Config validation and ParseURL.

func TestConfigRejectsInvalidFieldsByName(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		field string
		cfg   redmux.Config
	}{
		{"Addr", redmux.Config{}},
		{"Managers", redmux.Config{Addr: "x:1", Managers: -1}},
		{"MaxManagers", redmux.Config{Addr: "x:1", MaxManagers: -1}},
		{"MaxManagers", redmux.Config{Addr: "x:1", Managers: 4, MaxManagers: 2}},
		{"QueueLen", redmux.Config{Addr: "x:1", QueueLen: -5}},
		{"MaxInFlight", redmux.Config{Addr: "x:1", MaxInFlight: -1}},
		{"ShutdownTimeout", redmux.Config{Addr: "x:1", ShutdownTimeout: -time.Second}},
		{"DialTimeout", redmux.Config{Addr: "x:1", DialTimeout: -time.Second}},
		{"MaxBatchBytes", redmux.Config{Addr: "x:1", MaxBatchBytes: -1}},
	} {
		_, err := redmux.New(ctx, tc.cfg)
		var cerr *redmux.ConfigError
		require.ErrorAs(t, err, &cerr, tc.field)
		assert.Equal(t, tc.field, cerr.Field)
		assert.Contains(t, err.Error(), tc.field)
	}
}

// TestConfigRejectsHugeValuesByName: every numeric field has an upper
// bound. A huge QueueLen or MaxInFlight used to crash the process
// (makechan: size out of range) and a huge MaxDedicated was truncated to
// int32 and surfaced as puddle's "MaxSize must be >= 1".
func TestConfigRejectsHugeValuesByName(t *testing.T) {
	huge := int(1 << 40)
	cases := []struct {
		field string
		set   func(*redmux.Config)
	}{
		{"QueueLen", func(c *redmux.Config) { c.QueueLen = huge }},
		{"MaxInFlight", func(c *redmux.Config) { c.MaxInFlight = huge }},
		{"MaxDedicated", func(c *redmux.Config) { c.MaxDedicated = 1 << 31 }},
		{"Managers", func(c *redmux.Config) { c.Managers = 1 << 20 }},
		{"MaxManagers", func(c *redmux.Config) { c.MaxManagers = 1 << 20 }},
		{"MaxBatchBytes", func(c *redmux.Config) { c.MaxBatchBytes = huge }},
		{"DB", func(c *redmux.Config) { c.DB = huge }},
		{"ShutdownTimeout", func(c *redmux.Config) { c.ShutdownTimeout = 1 << 62 }},
		{"Limits.MaxBulkLen", func(c *redmux.Config) { c.Limits.MaxBulkLen = 1 << 62 }},
		{"Limits.MaxDepth", func(c *redmux.Config) { c.Limits.MaxDepth = huge }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			cfg := redmux.Config{Addr: "127.0.0.1:1"}
			tc.set(&cfg)
			c, err := redmux.New(context.Background(), cfg)
			require.Nil(t, c)
			var ce *redmux.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Contains(t, err.Error(), "at most")
		})
	}
}
