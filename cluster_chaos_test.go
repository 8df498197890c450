package redmux_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/testwait"
)

// TestChaosClusterFailoversAndReshardingUnderLoad is the cluster's soak:
// under a load that checks every value it reads, it moves a slot holding
// some of the load's keys to another master, then SIGKILLs a master, waits
// for its replica to take over, and restarts it, in cycles, for
// REDMUX_CHAOS_DURATION (`make chaos`; one cycle in `make test`). No value
// is ever one written for another key, every error is typed, and writes to
// the killed master's slots succeed again within 20 s of each kill,
// through the same client.
func TestChaosClusterFailoversAndReshardingUnderLoad(t *testing.T) {
	cl, c := newClusterClient(t, redmux.ClusterConfig{})
	duration := chaosDuration(t)
	ctx := clusterCtx(t, duration+3*time.Minute)
	var keys []string
	for i := range 12 {
		keys = append(keys, keysInSlotOf(fmt.Sprintf("soak%d", i), 3)...)
	}
	load := newOwnedLoad(ctx, c, keys, 16)
	defer load.stop()
	load.waitOps(t, 1000)
	end := time.Now().Add(duration)
	cycles := 0
	for ; cycles == 0 || time.Now().Before(end); cycles++ {
		slot := cl.KeySlot(keys[rand.N(len(keys))])
		require.NoError(t, cl.MigrateSlot(ctx, slot, otherMaster(t, ctx, cl, slot), 2, func() { load.waitOps(t, 20) }))
		require.NoError(t, cl.WaitHealthy(ctx))

		masters, err := cl.Masters(ctx)
		require.NoError(t, err)
		victim := masters[rand.N(len(masters))]
		var probe string
		for _, k := range keys {
			if m, err := cl.MasterOfSlot(ctx, cl.KeySlot(k)); err == nil && m == victim {
				probe = k + ":probe"
				break
			}
		}
		victim.Kill()
		killedAt := time.Now()
		require.True(t, probe == "" || testwait.Until(20*time.Second, func() bool {
			return c.Set(ctx, probe, []byte("x")) == nil
		}), "writes to the killed master's slots succeed again within 20s")
		t.Logf("cycle %d: slot %d moved; service back %v after killing %s", cycles, slot, time.Since(killedAt), victim.Addr)
		require.NoError(t, victim.Restart(ctx))
		require.NoError(t, cl.WaitHealthy(ctx))
		load.waitOps(t, 500)
	}
	load.stop()
	t.Logf("%d cycles, %d operations, errors by type %v, %d redirects, %d reloads",
		cycles, load.ops.Load(), load.kinds(), c.ClusterStats().Redirects, c.ClusterStats().Refreshes)
	load.check(t)
}
