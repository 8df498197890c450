//go:build !race

// The race detector allocates on its own, so this file is built without
// it; `make test` runs it in a separate pass without -race.

package redmux_test

import (
	"context"
	"testing"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/fakeredis"
)

// TestAllocationBudget: SET allocates nothing and a GET hit allocates only
// the value it returns, through the whole client (handle, typed command,
// pool, manager, connection). The in-process server allocates nothing per
// command, so testing.AllocsPerRun counts the client alone.
func TestAllocationBudget(t *testing.T) {
	srv := fakeredis.GetSet(t, []byte("0123456789abcdef"))
	ctx := context.Background()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr(), Managers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	value := []byte("0123456789abcdef")

	set := testing.AllocsPerRun(200, func() {
		if err := c.Set(ctx, "key:1", value); err != nil {
			t.Fatal(err)
		}
	})
	get := testing.AllocsPerRun(200, func() {
		if v, ok, err := c.Get(ctx, "key:1"); err != nil || !ok || len(v) != len(value) {
			t.Fatalf("Get: %q, %t, %v", v, ok, err)
		}
	})
	if set > 0 {
		t.Errorf("SET: %.2f allocations per call, want 0", set)
	}
	if get > 1 {
		t.Errorf("GET: %.2f allocations per call, want at most 1 (the returned value)", get)
	}
}
