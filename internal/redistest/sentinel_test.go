package redistest

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redmux/redmux/resp"
)

// setAndWait sets k to v on addr and waits until replicas replicas have
// it. WAIT must run on the connection that wrote: on another one it
// returns at once.
func setAndWait(t *testing.T, ctx context.Context, addr, password string, replicas int) {
	t.Helper()
	a, err := dialAdmin(ctx, addr, password)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if _, err := a.do(ctx, "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	v, err := a.do(ctx, "WAIT", strconv.Itoa(replicas), "5000")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := v.Int64(); err != nil || n < int64(replicas) {
		t.Fatalf("WAIT %d: %v replicas have the write (%v)", replicas, v, err)
	}
}

// waitMasterChange polls MasterAddr until it differs from old.
func waitMasterChange(t *testing.T, ctx context.Context, s *Sentinels, old string) string {
	t.Helper()
	for {
		addr, err := s.MasterAddr(ctx)
		if err == nil && addr != old {
			return addr
		}
		if sleepCtx(ctx) != nil {
			t.Fatalf("the master is still %s (last error %v): %v", old, err, ctx.Err())
		}
	}
}

func TestSentinels(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	s := StartSentinelsT(t, "mymaster", 2, 3)
	t.Logf("master, 2 replicas and 3 sentinels ready in %v", time.Since(begin))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if len(s.Replicas) != 2 || len(s.SentinelAddrs()) != 3 || s.MasterName != "mymaster" {
		t.Fatalf("%d replicas, sentinels at %v, name %q", len(s.Replicas), s.SentinelAddrs(), s.MasterName)
	}
	old, err := s.MasterAddr(ctx)
	if err != nil || old != s.Master.Addr || s.Server(old) != s.Master {
		t.Fatalf("MasterAddr = %q, %v; want %s", old, err, s.Master.Addr)
	}
	if s.Server("127.0.0.1:1") != nil {
		t.Fatal("Server of an unknown address is not nil")
	}
	setAndWait(t, ctx, old, "", 2)

	s.Master.Kill()
	began := time.Now()
	fctx, fcancel := context.WithTimeout(ctx, 20*time.Second)
	defer fcancel()
	addr := waitMasterChange(t, fctx, s, old)
	t.Logf("failover: the sentinels name %s %v after the master's SIGKILL", addr, time.Since(began))
	promoted := s.Server(addr)
	if !slices.Contains(s.Replicas, promoted) {
		t.Fatalf("new master %s is not one of the replicas", addr)
	}
	if err := s.WaitReady(fctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("failover: ready %v after the SIGKILL", time.Since(began))
	if v, err := command(ctx, addr, "", "GET", "k"); err != nil || v.String() != resp.BulkString([]byte("v")).String() {
		t.Fatalf("GET k on the new master = %v, %v", v, err)
	}

	began = time.Now()
	if err := s.Master.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(fctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("restart: the old master is a ready replica %v after its restart", time.Since(began))

	// Stop kills exactly its own processes and removes their directories.
	other := StartT(t)
	all := append(append([]*Server{s.Master}, s.Replicas...), s.Sentinels...)
	var pids []int
	for _, srv := range all {
		pids = append(pids, srv.Pid())
	}
	s.Stop()
	s.Stop() // idempotent
	for i, srv := range all {
		if alive(pids[i]) {
			t.Errorf("%s: pid %d still alive after Stop", srv.Addr, pids[i])
		}
		if _, err := os.Stat(srv.Dir()); !os.IsNotExist(err) {
			t.Errorf("%s: dir %s still there after Stop (%v)", srv.Addr, srv.Dir(), err)
		}
	}
	if !alive(other.Pid()) || ping(ctx, other.Addr) != nil {
		t.Errorf("Stop killed a server the set did not start")
	}
}

func TestSentinelsPasswords(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	s := StartSentinelsWithT(t, SentinelOptions{
		MasterName: "pw",
		Replicas:   1,
		Sentinels:  2,
		// Not a password with a space or a quote: sentinel.conf rewrites
		// auth-pass unquoted, and a restarted sentinel cannot read it.
		ServerArgs:       []string{"--requirepass", "data-pass"},
		SentinelPassword: "sentinel pass",
	})
	t.Logf("master, 1 replica and 2 sentinels, all with passwords, ready in %v", time.Since(begin))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var re *resp.Error
	if _, err := command(ctx, s.SentinelAddrs()[0], "", "SENTINEL", "MASTERS"); !errors.As(err, &re) || re.Prefix != "NOAUTH" {
		t.Fatalf("a sentinel without AUTH: %v, want NOAUTH", err)
	}
	if _, err := command(ctx, s.Replicas[0].Addr, "", "GET", "k"); !errors.As(err, &re) || re.Prefix != "NOAUTH" {
		t.Fatalf("a replica without AUTH: %v, want NOAUTH", err)
	}
	old, err := s.MasterAddr(ctx)
	if err != nil || old != s.Master.Addr {
		t.Fatalf("MasterAddr = %q, %v", old, err)
	}

	// A forced failover needs auth-pass to promote the replica and
	// masterauth for the old master to follow it.
	began := time.Now()
	if _, err := command(ctx, s.SentinelAddrs()[0], "sentinel pass", "SENTINEL", "FAILOVER", "pw"); err != nil {
		t.Fatal(err)
	}
	addr := waitMasterChange(t, ctx, s, old)
	if addr != s.Replicas[0].Addr {
		t.Fatalf("new master %s, want the replica %s", addr, s.Replicas[0].Addr)
	}
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("SENTINEL FAILOVER: ready, old master following, in %v", time.Since(began))

	// A restarted sentinel keeps its identity from its rewritten
	// sentinel.conf and gets its short periods again.
	sen := s.Sentinels[1]
	sen.Kill()
	began = time.Now()
	if err := sen.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("sentinel restart: ready in %v", time.Since(began))
	if got, err := s.MasterAddr(ctx); err != nil || got != addr {
		t.Fatalf("MasterAddr after a sentinel restart = %q, %v; want %s", got, err, addr)
	}
	v, err := command(ctx, sen.Addr, "sentinel pass", "SENTINEL", "DEBUG")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := v.StringMap(); err != nil || m["INFO-PERIOD"] != "1000" || m["PUBLISH-PERIOD"] != "500" {
		t.Fatalf("SENTINEL DEBUG on the restarted sentinel = %v, %v", v, err)
	}
}
