package main

import (
	"context"
	"strings"
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

// TestClusterAdaptersAgainstRealCluster checks the preload and every
// cluster adapter on a 3-master Redis Cluster of the test's own: the keys
// land on every master, a SET is read back, a missing key is not found,
// and a short measurement sees no failure and, for redmux, no
// redirection.
func TestClusterAdaptersAgainstRealCluster(t *testing.T) {
	cl := redistest.StartClusterT(t, 3, 0)
	perMaster, err := preloadCluster(context.Background(), cl.Addrs(), []int{64}, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(perMaster) != 3 {
		t.Errorf("keys per master = %v, want 3 masters", perMaster)
	}
	for _, cs := range clientSpecs {
		if cs.openCluster == nil {
			continue
		}
		t.Run(cs.name, func(t *testing.T) {
			spec := childSpec{Client: cs.name, Addr: strings.Join(cl.Addrs(), ","), Cluster: true, Size: 64, Concurrency: 8, Keys: 300,
				Warmup: 20 * time.Millisecond, Duration: 150 * time.Millisecond, MaxOps: 1_000_000}
			c, err := openClient(spec)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			checkAdapter(t, c)
			m := measure(spec)
			if m.Fatal != "" || m.failures() != 0 || m.Ops == 0 || !strings.Contains(m.Config, "luster") {
				t.Errorf("measurement: %+v", m)
			}
			if cs.name == nameRedmux && (m.Extra["redirects"] != 0 || m.Extra["avg_batch"] == 0) {
				t.Errorf("redmux extra = %v, want no redirects and a batch size", m.Extra)
			}
		})
	}
	if _, err := openClient(childSpec{Client: nameRedigo, Addr: cl.Addrs()[0], Cluster: true}); err == nil {
		t.Error("redigo opened in cluster mode")
	}
}
