package main

import (
	"context"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/redistest"
)

// TestAdaptersAgainstRealServer checks every client adapter on a
// redis-server of the test's own: a SET is read back, a missing key is
// reported as not found without an error, and a short measurement sees no
// failure. Like the library's tests it fails, never skips, without
// redis-server.
func TestAdaptersAgainstRealServer(t *testing.T) {
	srv := redistest.StartT(t)
	if err := preload(context.Background(), srv.Addr, []int{64}, 100); err != nil {
		t.Fatal(err)
	}
	for _, name := range clientNames() {
		t.Run(name, func(t *testing.T) {
			spec := childSpec{Client: name, Addr: srv.Addr, Size: 64, Concurrency: 4, Keys: 100,
				Warmup: 20 * time.Millisecond, Duration: 150 * time.Millisecond, MaxOps: 1_000_000}
			c, err := openClient(spec)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			checkAdapter(t, c)
			m := measure(spec)
			if m.Fatal != "" || m.failures() != 0 || m.Ops == 0 || m.Config == "" {
				t.Errorf("measurement: %+v", m)
			}
		})
	}
}

// checkAdapter sets a key, reads it back and reads a missing one.
func checkAdapter(t *testing.T, c Client) {
	ctx := context.Background()
	key := "adapter-test"
	val := valueOf(nil, key, 64, newFiller(3, 256), 5)
	if err := c.Set(ctx, key, val); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, found, err := c.Get(ctx, key)
	if err != nil || !found || !valueMatches(got, key, 64) {
		t.Errorf("Get after Set = %q, %v, %v", got, found, err)
	}
	got, found, err = c.Get(ctx, "adapter-test-missing")
	if err != nil || found || got != nil {
		t.Errorf("Get of a missing key = %q, %v, %v; want nil, false, nil", got, found, err)
	}
}
