package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redmux/redmux/resp"
)

func TestKeySlot(t *testing.T) {
	var c *Cluster // KeySlot needs no cluster
	for key, want := range map[string]int{
		"":                     0,
		"123456789":            0x31C3, // the CRC-16/XMODEM check value
		"foo":                  12182,
		"{user1000}.following": c.KeySlot("user1000"),
		"a{user1000}b":         c.KeySlot("user1000"),
		"{}user1000":           crcSlot("{}user1000"), // an empty tag: the whole key
		"foo{}{bar}":           crcSlot("foo{}{bar}"),
		"foo{{bar}}zap":        c.KeySlot("{bar"),  // the tag ends at the first "}"
		"foo{bar":              crcSlot("foo{bar"), // no closing brace
	} {
		if got := c.KeySlot(key); got != want {
			t.Errorf("KeySlot(%q) = %d, want %d", key, got, want)
		}
	}
}

func crcSlot(s string) int { return int(crc16(s) % NumSlots) }

// mustDo runs one command on s and fails the test on any error.
func mustDo(t *testing.T, ctx context.Context, c *Cluster, s *Server, args ...string) resp.Value {
	t.Helper()
	v, err := c.do(ctx, s, args...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCluster(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	c := StartClusterT(t, 3, 1)
	t.Logf("cluster of %d nodes started and healthy in %v", len(c.Nodes), time.Since(begin))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if len(c.Nodes) != 6 || len(c.Addrs()) != 6 {
		t.Fatalf("%d nodes, %d addrs, want 6", len(c.Nodes), len(c.Addrs()))
	}
	masters, err := c.Masters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(masters, c.Nodes[:3]) {
		t.Fatalf("Masters = %v, want the first three Nodes %v", addrsOf(masters), c.Addrs()[:3])
	}
	for _, m := range masters {
		replicas, err := c.ReplicasOf(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(replicas) != 1 || !slices.Contains(c.Nodes[3:], replicas[0]) {
			t.Fatalf("ReplicasOf(%s) = %v, want one of the last three Nodes", m.Addr, addrsOf(replicas))
		}
	}

	// KeySlot agrees with the server, and MasterOfSlot with its routing.
	for i := range 50 {
		key := fmt.Sprintf("key:%d", i)
		if i%5 == 0 {
			key = fmt.Sprintf("{tag%d}x", i)
		}
		n, err := mustDo(t, ctx, c, c.Nodes[0], "CLUSTER", "KEYSLOT", key).Int64()
		if err != nil || int(n) != c.KeySlot(key) {
			t.Fatalf("CLUSTER KEYSLOT %s = %d (%v), KeySlot = %d", key, n, err, c.KeySlot(key))
		}
		m, err := c.MasterOfSlot(ctx, c.KeySlot(key))
		if err != nil {
			t.Fatal(err)
		}
		mustDo(t, ctx, c, m, "SET", key, "v") // a MOVED would fail here
	}

	t.Run("MigrateSlot", func(t *testing.T) {
		const keys = 35
		slot := c.KeySlot("{mig}")
		from, err := c.MasterOfSlot(ctx, slot)
		if err != nil {
			t.Fatal(err)
		}
		for i := range keys {
			mustDo(t, ctx, c, from, "SET", fmt.Sprintf("{mig}%d", i), strconv.Itoa(i))
		}
		to := masters[0]
		if to == from {
			to = masters[1]
		}
		calls, asks := 0, 0
		between := func() {
			calls++
			// Some keys have moved: the source answers ASK for them.
			for i := range keys {
				_, err := c.do(ctx, from, "GET", fmt.Sprintf("{mig}%d", i))
				var re *resp.Error
				if errors.As(err, &re) && re.Prefix == "ASK" {
					asks++
					if !strings.HasSuffix(re.Message, to.Addr) {
						t.Errorf("ASK to the wrong node: %s", re.Message)
					}
				}
			}
		}
		began := time.Now()
		if err := c.MigrateSlot(ctx, slot, to, 10, between); err != nil {
			t.Fatal(err)
		}
		t.Logf("slot %d moved from %s to %s in %v", slot, from.Addr, to.Addr, time.Since(began))
		if calls != 4 || asks == 0 {
			t.Errorf("between called %d times (want 4), %d ASK replies (want some)", calls, asks)
		}
		if m, err := c.MasterOfSlot(ctx, slot); err != nil || m != to {
			t.Fatalf("MasterOfSlot(%d) = %v, %v; want %s", slot, m, err, to.Addr)
		}
		if err := c.WaitHealthy(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range keys {
			v := mustDo(t, ctx, c, to, "GET", fmt.Sprintf("{mig}%d", i))
			if s, _ := v.Text(); s != strconv.Itoa(i) {
				t.Fatalf("GET {mig}%d on the new owner = %v", i, v)
			}
		}
		_, err = c.do(ctx, from, "GET", "{mig}0")
		var re *resp.Error
		if !errors.As(err, &re) || re.Prefix != "MOVED" {
			t.Fatalf("GET on the old owner: %v, want MOVED", err)
		}
		if err := c.MigrateSlot(ctx, slot, to, 10, nil); err != nil { // already there: nothing to do
			t.Fatal(err)
		}
	})

	t.Run("FailoverAndRestart", func(t *testing.T) {
		slot := c.KeySlot("k")
		old, err := c.MasterOfSlot(ctx, slot)
		if err != nil {
			t.Fatal(err)
		}
		setAndWait(t, ctx, old.Addr, c.password, 1) // the replica has k
		oldID, err := c.NodeID(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		replicas, err := c.ReplicasOf(ctx, old)
		if err != nil || len(replicas) != 1 {
			t.Fatalf("ReplicasOf = %v, %v", addrsOf(replicas), err)
		}

		old.Kill()
		began := time.Now()
		wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
		defer wcancel()
		if err := c.WaitHealthy(wctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("failover: healthy %v after the master's SIGKILL", time.Since(began))
		promoted, err := c.MasterOfSlot(ctx, slot)
		if err != nil || promoted != replicas[0] {
			t.Fatalf("MasterOfSlot after failover = %v, %v; want the replica %s", promoted, err, replicas[0].Addr)
		}
		if v := mustDo(t, ctx, c, promoted, "GET", "k"); v.String() != resp.BulkString([]byte("v")).String() {
			t.Fatalf("GET k on the promoted replica = %v", v)
		}

		began = time.Now()
		if err := old.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitHealthy(wctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("restart: healthy %v after the killed master's restart", time.Since(began))
		if id, err := c.NodeID(ctx, old); err != nil || id != oldID {
			t.Fatalf("restarted node id = %q, %v; want %q", id, err, oldID)
		}
		replicas, err = c.ReplicasOf(ctx, promoted)
		if err != nil || !slices.Equal(replicas, []*Server{old}) {
			t.Fatalf("ReplicasOf(promoted) = %v, %v; want the restarted node %s", addrsOf(replicas), err, old.Addr)
		}
	})

	// Stop kills exactly its own processes and removes their directories.
	other := StartT(t)
	var pids []int
	for _, s := range c.Nodes {
		pids = append(pids, s.Pid())
	}
	c.Stop()
	c.Stop() // idempotent
	for i, s := range c.Nodes {
		if alive(pids[i]) {
			t.Errorf("node %s: pid %d still alive after Stop", s.Addr, pids[i])
		}
		if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
			t.Errorf("node %s: dir %s still there after Stop (%v)", s.Addr, s.Dir(), err)
		}
	}
	if !alive(other.Pid()) || ping(ctx, other.Addr) != nil {
		t.Errorf("Stop killed a server the cluster did not start")
	}
}

func TestClusterPassword(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	c := StartClusterT(t, 3, 0, "--requirepass", "cluster-pw")
	t.Logf("cluster of %d masters with a password healthy in %v", len(c.Nodes), time.Since(begin))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var re *resp.Error
	if _, err := command(ctx, c.Nodes[0].Addr, "", "CLUSTER", "INFO"); !errors.As(err, &re) || re.Prefix != "NOAUTH" {
		t.Fatalf("a node without AUTH: %v, want NOAUTH", err)
	}
	slot := c.KeySlot("{pw}")
	from, err := c.MasterOfSlot(ctx, slot)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		mustDo(t, ctx, c, from, "SET", fmt.Sprintf("{pw}%d", i), "v")
	}
	to := c.Nodes[0]
	if to == from {
		to = c.Nodes[1]
	}
	if err := c.MigrateSlot(ctx, slot, to, 2, nil); err != nil { // MIGRATE ... AUTH
		t.Fatal(err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := mustDo(t, ctx, c, to, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot)).Int64(); err != nil || n != 3 {
		t.Fatalf("the new owner has %d keys in the slot (%v), want 3", n, err)
	}
}

func TestStartClusterWithoutRedisCLI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartCluster(context.Background(), 3, 0)
	if err == nil || !strings.Contains(err.Error(), InstallHint) {
		t.Fatalf("StartCluster without redis on PATH: %v, want the install hint", err)
	}
}

// alive reports whether a process with this pid exists (and is not a
// zombie: the harness reaps its children).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}
