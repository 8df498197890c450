package redmux_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want redmux.Config
	}{
		{"redis://user:secret@localhost:6380/3", redmux.Config{Addr: "localhost:6380", Username: "user", Password: "secret", DB: 3}},
		{"redis://:pw@10.0.0.1", redmux.Config{Addr: "10.0.0.1:6379", Password: "pw"}},
		{"redis://[::1]:7000", redmux.Config{Addr: "[::1]:7000"}},
		{"redis://", redmux.Config{Addr: "127.0.0.1:6379"}},
		{"redis://h?db=2&protocol=2&client_name=svc&managers=3&max_managers=6&max_dedicated=8", redmux.Config{
			Addr: "h:6379", DB: 2, Protocol: 2, ClientName: "svc", Managers: 3, MaxManagers: 6, MaxDedicated: 8}},
		{"redis://h?dial_timeout=250ms&command_timeout=2&handshake_timeout=1.5&reconnect_wait=1s&shutdown_timeout=3s", redmux.Config{
			Addr: "h:6379", DialTimeout: 250 * time.Millisecond, CommandTimeout: 2 * time.Second,
			HandshakeTimeout: 1500 * time.Millisecond, ReconnectWait: time.Second, ShutdownTimeout: 3 * time.Second}},
		{"unix:///run/redis.sock?db=1", redmux.Config{Network: "unix", Addr: "/run/redis.sock", DB: 1}},
		{"unix://u:p@/tmp/r.sock", redmux.Config{Network: "unix", Addr: "/tmp/r.sock", Username: "u", Password: "p"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got, err := redmux.ParseURL(tc.url)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseURLSetsTLSForRediss(t *testing.T) {
	cfg, err := redmux.ParseURL("rediss://cache.example.com:6380")
	require.NoError(t, err)
	require.NotNil(t, cfg.TLSConfig)
	assert.Equal(t, "cache.example.com", cfg.TLSConfig.ServerName)
	assert.Equal(t, "cache.example.com:6380", cfg.Addr)
}

// TestParseURLRejectsWithConfigErrorAndHidesPassword: every bad URL is a
// *ConfigError, and no message repeats the password.
func TestParseURLRejectsWithConfigErrorAndHidesPassword(t *testing.T) {
	for _, bad := range []string{
		"http://u:hunter2@x",
		"redis://u:hunter2@h/notanumber",
		"redis://u:hunter2@h/-1",
		"redis://u:hunter2@h?colour=blue",
		"redis://u:hunter2@h?db=1&db=2",
		"redis://u:hunter2@h/1?db=2",
		"redis://u:hunter2@h/0?db=2",
		"unix://u:hunter2@host/tmp/r.sock",
		"redis://u:hunter2@h?protocol=4",
		"redis://u:hunter2@h?managers=many",
		"redis://u:hunter2@h?dial_timeout=soon",
		"redis://u:hunter2@h?dial_timeout=-1s",
		"redis://u:hunter2@h?managers=-2",
		"redis://u:hunter2@h:99999999999",
		"redis://u:hunter2@h%zz",
		"unix://u:hunter2@",
	} {
		t.Run(bad, func(t *testing.T) {
			_, err := redmux.ParseURL(bad)
			var cfgErr *redmux.ConfigError
			require.ErrorAs(t, err, &cfgErr)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}
