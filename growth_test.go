package redmux_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
)

// incrFromGoroutines runs rounds INCRs on one key per goroutine, from
// goroutines at once, and checks every reply: each goroutine's counter
// must count exactly its own increments.
func incrFromGoroutines(t *testing.T, ctx context.Context, c *redmux.Client, prefix string, goroutines, rounds int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("%s:%d", prefix, g)
			for i := range rounds {
				n, err := c.Incr(ctx, key)
				if err == nil && n != int64(i+1) {
					err = fmt.Errorf("%s: INCR returned %d, want %d", key, n, i+1)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// serverConnections counts the server's connections named name.
func serverConnections(t *testing.T, ctx context.Context, c *redmux.Client, name string) int {
	t.Helper()
	v, err := c.Do(ctx, "CLIENT", "LIST")
	require.NoError(t, err)
	list, err := v.Text()
	require.NoError(t, err)
	return strings.Count(list, "name="+name+" ")
}

// TestClientGrowsTowardMaxManagersAtLowConcurrency: a client that may grow
// opens connections while a few goroutines keep every manager busy, never
// more than MaxManagers, and every reply still reaches its caller.
func TestClientGrowsTowardMaxManagersAtLowConcurrency(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	before := goleak.IgnoreCurrent()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 1, MaxManagers: 4, ClientName: "growing"})
	require.NoError(t, err)
	require.Len(t, c.Stats().Managers, 1, "New dialed more than Managers")

	deadline := time.Now().Add(10 * time.Second)
	for round := 0; len(c.Stats().Managers) < 4; round++ {
		require.True(t, time.Now().Before(deadline), "still %d managers after 10 s of 4 concurrent goroutines", len(c.Stats().Managers))
		incrFromGoroutines(t, ctx, c, fmt.Sprintf("grow:%d", round), 4, 200)
	}
	incrFromGoroutines(t, ctx, c, "grow:after", 8, 200)
	require.Len(t, c.Stats().Managers, 4, "grew past MaxManagers")
	require.Equal(t, 4, serverConnections(t, ctx, c, "growing"))
	for _, m := range c.Stats().Managers {
		require.True(t, m.Connected)
	}
	require.NoError(t, c.Close())
	goleak.VerifyNone(t, before)
}

// TestClientWithManagersSetNeverGrows: Managers set and MaxManagers left
// zero means exactly Managers connections, whatever the load.
func TestClientWithManagersSetNeverGrows(t *testing.T) {
	srv := redistest.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 2, ClientName: "fixed"})
	require.NoError(t, err)
	defer c.Close()
	incrFromGoroutines(t, ctx, c, "fixed", 8, 300)
	require.Len(t, c.Stats().Managers, 2)
	require.Equal(t, 2, serverConnections(t, ctx, c, "fixed"))
}
