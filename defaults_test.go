package redmux

import (
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux/pool"
)

// TestDefaultsResolvedOnce: Config.resolved is the one place defaults are
// applied. From a Config holding only Addr it produces a finished copy in
// which every numeric and function field is set, and the pool built from
// it is accepted as is by the layers below, which apply no defaults.
func TestDefaultsResolvedOnce(t *testing.T) {
	c := Config{Addr: "127.0.0.1:1"}.resolved()
	optional := map[string]bool{ // zero is a meaningful setting, not "unset"
		"DB": true, "CommandTimeout": true, "Username": true, "Password": true,
		"ClientName": true, "DisableReadRetry": true, "DisableStallDetection": true,
		"CredentialsProvider": true, "Protocol": true, "TLSConfig": true, "OnPush": true,
		"readOnlyReplica": true, "onReconnect": true, // set by the cluster client only
		"Hooks": true, "HookArguments": true,
	}
	optional["requireMaster"] = true // set by NewFailover only
	optional["Logger"] = true        // nil: logging off
	v := reflect.ValueOf(c)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if !optional[name] && v.Field(i).IsZero() {
			t.Errorf("resolved Config.%s is still zero", name)
		}
	}
	if c.Limits != c.Limits.Resolved() {
		t.Errorf("Limits not resolved: %+v", c.Limits)
	}
	if got := c.resolved(); !sameConfig(got, c) {
		t.Errorf("resolving twice changed the Config")
	}
	pc := c.poolConfig(new(atomic.Int32))
	if pc.Managers != DefaultManagers() || pc.ReconnectWait != DefaultReconnectWait ||
		pc.Manager.StallTimeout != DefaultStallTimeout || pc.Manager.QueueLen != DefaultQueueLen {
		t.Errorf("poolConfig = %+v, want the defaults", pc)
	}
}

// TestManagersResolveToAFixedOrAGrowingPool: left zero, the client dials
// DefaultManagers and may grow to DefaultMaxManagers; Managers set alone
// means exactly that many; MaxManagers alone caps both.
func TestManagersResolveToAFixedOrAGrowingPool(t *testing.T) {
	for _, tc := range []struct {
		managers, maxManagers int
		wantManagers, wantMax int
	}{
		{0, 0, DefaultManagers(), DefaultMaxManagers},
		{3, 0, 3, 3},
		{2, 6, 2, 6},
		{0, 1, 1, 1},
		{0, 16, DefaultManagers(), 16},
	} {
		c := Config{Addr: "127.0.0.1:1", Managers: tc.managers, MaxManagers: tc.maxManagers}
		require.NoError(t, c.validate())
		pc := c.resolved().poolConfig(new(atomic.Int32))
		assert.Equal(t, tc.wantManagers, pc.Managers, "Managers %d, MaxManagers %d", tc.managers, tc.maxManagers)
		assert.Equal(t, tc.wantMax, pc.MaxManagers, "Managers %d, MaxManagers %d", tc.managers, tc.maxManagers)
	}
}

// TestStallDetectionOffIsOneConvention: DisableStallDetection reaches the
// manager as StallTimeout 0, the one way the layers below say "off".
func TestStallDetectionOffIsOneConvention(t *testing.T) {
	c := Config{Addr: "127.0.0.1:1", DisableStallDetection: true, StallTimeout: time.Second}.resolved()
	if got := c.poolConfig(new(atomic.Int32)).Manager.StallTimeout; got != 0 {
		t.Errorf("manager StallTimeout = %v with DisableStallDetection, want 0 (off)", got)
	}
}

// TestInnerLayersRefuseUnresolvedConfig: a Config that skipped resolution
// is an error below the root, never silently defaulted.
func TestInnerLayersRefuseUnresolvedConfig(t *testing.T) {
	_, err := pool.New(t.Context(), pool.Config{Managers: 1})
	if err == nil {
		t.Fatal("pool.New accepted an unresolved Config")
	}
	pc := Config{Addr: "127.0.0.1:1"}.resolved().poolConfig(new(atomic.Int32))
	pc.Manager.QueueLen = 0
	if _, err := pool.New(t.Context(), pc); err == nil {
		t.Fatal("pool.New accepted a manager Config with QueueLen 0")
	}
}

func sameConfig(a, b Config) bool {
	a.Dial, b.Dial = nil, nil // funcs do not compare
	return reflect.DeepEqual(a, b)
}
