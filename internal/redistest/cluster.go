package redistest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redmux/redmux/resp"
)

// NumSlots is the number of hash slots of a Redis Cluster.
const NumSlots = 16384

// clusterStartTimeout bounds StartClusterT: starting the nodes, creating
// the cluster and waiting for it to be healthy.
const clusterStartTimeout = 60 * time.Second

// Cluster is a real Redis Cluster of redis-server processes on 127.0.0.1.
//
// Each node runs with cluster-node-timeout 1000 ms and
// cluster-replica-validity-factor 0, so a killed master fails over to its
// replica in about 2.5 s. Each node keeps its nodes.conf in its own
// directory, so Server.Restart brings a killed node back with the same node
// id; after a failover it comes back as a replica of the node that took
// its slots.
type Cluster struct {
	// Nodes holds every node started: the masters first, then the
	// replicas, as the cluster was created. Roles change with failovers;
	// Masters and ReplicasOf report the current ones.
	Nodes []*Server

	password string // from --requirepass in the extra arguments
}

// StartCluster starts masters*(1+replicasPerMaster) redis-server nodes in
// parallel, joins them into a cluster with `redis-cli --cluster create`
// (which needs at least 3 masters) and waits until it is healthy (see
// WaitHealthy). extraArgs go to every node; when they hold --requirepass,
// the nodes also get it as --masterauth and the harness authenticates with
// it.
func StartCluster(ctx context.Context, masters, replicasPerMaster int, extraArgs ...string) (*Cluster, error) {
	if masters < 3 {
		return nil, fmt.Errorf("redistest: a cluster needs at least 3 masters, not %d", masters)
	}
	if replicasPerMaster < 0 {
		return nil, fmt.Errorf("redistest: negative replicas per master: %d", replicasPerMaster)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New(InstallHint)
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, errors.New("redis-cli is not on PATH (it comes with redis-server); " + InstallHint)
	}
	c := &Cluster{password: requirePass(extraArgs)}
	n := masters * (1 + replicasPerMaster)
	nodes := make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i], errs[i] = startWith(ctx, func(dir string, port int) ([]string, error) {
				return clusterNodeArgs(dir, port, c.password, extraArgs)
			}, nil)
		}()
	}
	wg.Wait()
	for _, s := range nodes {
		if s != nil {
			c.Nodes = append(c.Nodes, s)
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.Stop()
		return nil, err
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicasPerMaster), "--cluster-yes")
	if _, err := redisCLI(ctx, c.password, args...); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.WaitHealthy(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.mastersFirst(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// clusterNodeArgs are the arguments of one cluster node, with a bus port
// of its own.
func clusterNodeArgs(dir string, port int, password string, extraArgs []string) ([]string, error) {
	bus, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append(baseArgs(dir, port),
		"--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
		"--cluster-node-timeout", "1000",
		"--cluster-port", strconv.Itoa(bus),
		"--cluster-replica-validity-factor", "0",
		"--repl-diskless-sync-delay", "0", // a replica syncs at once, not after 5 s
		// CLUSTER SLOTS leaves out a replica whose replication offset is
		// still 0, and an idle master moves the offset only with its pings
		// to replicas: every 10 s by default.
		"--repl-ping-replica-period", "1",
	)
	if password != "" {
		args = append(args, "--masterauth", password)
	}
	return append(args, extraArgs...), nil
}

// StartClusterT starts a cluster for a test (see StartCluster) and stops it
// when the test ends. A missing redis-server or redis-cli fails the test
// with InstallHint: it never skips.
func StartClusterT(tb testing.TB, masters, replicasPerMaster int, extraArgs ...string) *Cluster {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartTimeout)
	defer cancel()
	c, err := StartCluster(ctx, masters, replicasPerMaster, extraArgs...)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(c.Stop)
	return c
}

// Addrs returns the address of every node, in the order of Nodes.
func (c *Cluster) Addrs() []string { return addrsOf(c.Nodes) }

// addrsOf returns the address of each server, in order.
func addrsOf(servers []*Server) []string {
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = s.Addr
	}
	return addrs
}

// Stop kills every node the cluster started (each by its own pid) and
// removes their directories. It may be called more than once.
func (c *Cluster) Stop() { stopAll(c.Nodes) }

// mastersFirst orders Nodes as documented, masters before replicas,
// whatever order redis-cli chose.
func (c *Cluster) mastersFirst(ctx context.Context) error {
	isMaster := make(map[*Server]bool)
	for _, s := range c.Nodes {
		role, _, err := c.role(ctx, s)
		if err != nil {
			return err
		}
		isMaster[s] = role == "master"
	}
	slices.SortStableFunc(c.Nodes, func(a, b *Server) int {
		switch {
		case isMaster[a] == isMaster[b]:
			return 0
		case isMaster[a]:
			return -1
		default:
			return 1
		}
	})
	return nil
}

func (c *Cluster) dial(ctx context.Context, s *Server) (*adminConn, error) {
	return dialAdmin(ctx, s.Addr, c.password)
}

func (c *Cluster) do(ctx context.Context, s *Server, args ...string) (resp.Value, error) {
	return command(ctx, s.Addr, c.password, args...)
}

// role returns the first element of ROLE ("master" or "slave") and, for a
// replica, its master's port.
func (c *Cluster) role(ctx context.Context, s *Server) (string, int, error) {
	v, err := c.do(ctx, s, "ROLE")
	if err != nil {
		return "", 0, err
	}
	return parseRole(v)
}

func parseRole(v resp.Value) (string, int, error) {
	elems, err := v.Array()
	if err != nil || len(elems) == 0 {
		return "", 0, fmt.Errorf("redistest: unexpected ROLE reply %v", v)
	}
	role, err := elems[0].Text()
	if err != nil {
		return "", 0, err
	}
	if role != "slave" {
		return role, 0, nil
	}
	if len(elems) < 3 {
		return "", 0, fmt.Errorf("redistest: unexpected ROLE reply %v", v)
	}
	port, err := elems[2].Int64()
	if err != nil {
		return "", 0, err
	}
	return role, int(port), nil
}

// running returns the nodes whose process is alive, in the order of Nodes.
func (c *Cluster) running() []*Server {
	var out []*Server
	for _, s := range c.Nodes {
		if s.running() {
			out = append(out, s)
		}
	}
	return out
}

// slotRange is one entry of CLUSTER SLOTS.
type slotRange struct {
	start, end int
	master     string   // node id
	masterPort int      // its port
	replicas   []string // node ids, sorted
}

// clusterSlots reads CLUSTER SLOTS, sorted by start slot.
func clusterSlots(ctx context.Context, a *adminConn) ([]slotRange, error) {
	v, err := a.do(ctx, "CLUSTER", "SLOTS")
	if err != nil {
		return nil, err
	}
	entries, err := v.Array()
	if err != nil {
		return nil, err
	}
	bad := func() error { return fmt.Errorf("redistest: unexpected CLUSTER SLOTS reply from %s: %v", a.addr, v) }
	var out []slotRange
	for _, e := range entries {
		fields, err := e.Array()
		if err != nil || len(fields) < 3 {
			return nil, bad()
		}
		start, err1 := fields[0].Int64()
		end, err2 := fields[1].Int64()
		if err1 != nil || err2 != nil {
			return nil, bad()
		}
		r := slotRange{start: int(start), end: int(end)}
		for i, nf := range fields[2:] {
			node, err := nf.Array()
			if err != nil || len(node) < 3 {
				return nil, bad()
			}
			port, err1 := node[1].Int64()
			id, err2 := node[2].Text()
			if err1 != nil || err2 != nil {
				return nil, bad()
			}
			if i == 0 {
				r.master, r.masterPort = id, int(port)
			} else {
				r.replicas = append(r.replicas, id)
			}
		}
		slices.Sort(r.replicas)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b slotRange) int { return a.start - b.start })
	return out, nil
}

func formatSlots(ranges []slotRange) string {
	var b strings.Builder
	for _, r := range ranges {
		fmt.Fprintf(&b, "%d-%d:%s(:%d)%v ", r.start, r.end, r.master, r.masterPort, r.replicas)
	}
	return b.String()
}

// nodeState is what WaitHealthy learns from one running node.
type nodeState struct {
	srv        *Server
	id         string
	role       string
	masterPort int // a replica's master
	slots      []slotRange
}

func (c *Cluster) readState(ctx context.Context, s *Server) (*nodeState, error) {
	a, err := c.dial(ctx, s)
	if err != nil {
		return nil, err
	}
	defer a.close()
	info, err := a.text(ctx, "CLUSTER", "INFO")
	if err != nil {
		return nil, err
	}
	if state := parseInfo(info)["cluster_state"]; state != "ok" {
		return nil, fmt.Errorf("node %s: cluster_state:%s", s.Addr, state)
	}
	st := &nodeState{srv: s}
	if st.id, err = a.text(ctx, "CLUSTER", "MYID"); err != nil {
		return nil, err
	}
	v, err := a.do(ctx, "ROLE")
	if err != nil {
		return nil, err
	}
	if st.role, st.masterPort, err = parseRole(v); err != nil {
		return nil, err
	}
	if st.role == "slave" {
		repl, err := a.info(ctx, "replication")
		if err != nil {
			return nil, err
		}
		if link := repl["master_link_status"]; link != "up" {
			return nil, fmt.Errorf("replica %s: master_link_status:%s", s.Addr, link)
		}
	}
	if st.slots, err = clusterSlots(ctx, a); err != nil {
		return nil, err
	}
	return st, nil
}

// WaitHealthy waits until the running nodes form a healthy cluster, or ctx
// ends. Healthy means: every running node reports cluster_state:ok; all
// running nodes report the same CLUSTER SLOTS (each slot range's master
// and replicas); the ranges cover every slot; each range's master is a
// running node of this cluster whose ROLE is master; and every running
// replica has master_link_status:up and is listed, in every node's view,
// among the replicas of its master's slots. Killed nodes are left out, so
// after a master is killed WaitHealthy returns once its replica has taken
// over.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	for {
		err := c.checkHealthy(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("redistest: cluster not healthy: %w (last: %v)", ctx.Err(), err)
		}
		if sleepCtx(ctx) != nil {
			return fmt.Errorf("redistest: cluster not healthy: %w (last: %v)", ctx.Err(), err)
		}
	}
}

func (c *Cluster) checkHealthy(ctx context.Context) error {
	nodes := c.running()
	if len(nodes) == 0 {
		return errors.New("no node is running")
	}
	states := make([]*nodeState, len(nodes))
	for i, s := range nodes {
		st, err := c.readState(ctx, s)
		if err != nil {
			return err
		}
		states[i] = st
	}
	want := formatSlots(states[0].slots)
	for _, st := range states[1:] {
		if got := formatSlots(st.slots); got != want {
			return fmt.Errorf("nodes disagree on CLUSTER SLOTS: %s says %s; %s says %s",
				states[0].srv.Addr, want, st.srv.Addr, got)
		}
	}
	byID := make(map[string]*nodeState)
	for _, st := range states {
		byID[st.id] = st
	}
	next := 0
	for _, r := range states[0].slots {
		if r.start != next {
			return fmt.Errorf("slots %d-%d have no master", next, r.start-1)
		}
		next = r.end + 1
		m := byID[r.master]
		if m == nil {
			return fmt.Errorf("slots %d-%d belong to %s (port %d), which is not running", r.start, r.end, r.master, r.masterPort)
		}
		if m.role != "master" {
			return fmt.Errorf("slots %d-%d belong to %s, whose ROLE is %s", r.start, r.end, m.srv.Addr, m.role)
		}
	}
	if next != NumSlots {
		return fmt.Errorf("slots %d-%d have no master", next, NumSlots-1)
	}
	for _, st := range states {
		if st.role != "slave" {
			continue
		}
		listed := false
		for _, r := range states[0].slots {
			if r.masterPort == st.masterPort && slices.Contains(r.replicas, st.id) {
				listed = true
				break
			}
		}
		if !listed {
			return fmt.Errorf("replica %s of port %d is not listed in CLUSTER SLOTS", st.srv.Addr, st.masterPort)
		}
	}
	return nil
}

// myself returns the fields of the "myself" line of CLUSTER NODES.
func (c *Cluster) myself(ctx context.Context, s *Server) ([]string, error) {
	v, err := c.do(ctx, s, "CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	text, err := v.Text()
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 8 && slices.Contains(strings.Split(fields[2], ","), "myself") {
			return fields, nil
		}
	}
	return nil, fmt.Errorf("redistest: no myself line in CLUSTER NODES of %s", s.Addr)
}

// ownSlots returns the slot ranges of a CLUSTER NODES line, leaving out
// the [slot->-id] and [slot-<-id] migration markers.
func ownSlots(fields []string) [][2]int {
	var out [][2]int
	for _, f := range fields[min(8, len(fields)):] {
		if strings.HasPrefix(f, "[") {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		start, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		end := start
		if isRange {
			if end, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

// Masters returns the running nodes whose ROLE is master and which own
// slots, in the order of Nodes.
func (c *Cluster) Masters(ctx context.Context) ([]*Server, error) {
	var out []*Server
	for _, s := range c.running() {
		role, _, err := c.role(ctx, s)
		if err != nil {
			return nil, err
		}
		if role != "master" {
			continue
		}
		fields, err := c.myself(ctx, s)
		if err != nil {
			return nil, err
		}
		if len(ownSlots(fields)) > 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

// ReplicasOf returns the running nodes whose ROLE says they replicate
// master, in the order of Nodes.
func (c *Cluster) ReplicasOf(ctx context.Context, master *Server) ([]*Server, error) {
	var out []*Server
	for _, s := range c.running() {
		if s == master {
			continue
		}
		role, port, err := c.role(ctx, s)
		if err != nil {
			return nil, err
		}
		if role == "slave" && port == master.Port {
			out = append(out, s)
		}
	}
	return out, nil
}

// NodeID returns the cluster node id of s (CLUSTER MYID).
func (c *Cluster) NodeID(ctx context.Context, s *Server) (string, error) {
	v, err := c.do(ctx, s, "CLUSTER", "MYID")
	if err != nil {
		return "", err
	}
	return v.Text()
}

// MasterOfSlot returns the running master that serves slot: of the running
// masters that claim it in their own CLUSTER NODES line, the one with the
// highest config epoch, which is the claim the cluster settles on.
func (c *Cluster) MasterOfSlot(ctx context.Context, slot int) (*Server, error) {
	if slot < 0 || slot >= NumSlots {
		return nil, fmt.Errorf("redistest: slot %d out of range", slot)
	}
	var best *Server
	bestEpoch := int64(-1)
	for _, s := range c.running() {
		fields, err := c.myself(ctx, s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(strings.Split(fields[2], ","), "master") {
			continue
		}
		for _, r := range ownSlots(fields) {
			if slot < r[0] || slot > r[1] {
				continue
			}
			epoch, err := strconv.ParseInt(fields[6], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("redistest: bad config epoch in CLUSTER NODES of %s: %q", s.Addr, fields[6])
			}
			if epoch > bestEpoch {
				best, bestEpoch = s, epoch
			}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("redistest: no running master serves slot %d", slot)
	}
	return best, nil
}

// KeySlot returns the hash slot of key: CRC16 (XMODEM) of the key, or of
// its hash tag (the part between the first "{" and the next "}", when
// that part is not empty), modulo 16384.
func (c *Cluster) KeySlot(key string) int { return keySlot(key) }

func keySlot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	return int(crc16(key) % NumSlots)
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), as Redis
// Cluster uses it.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// migrateTimeout is MIGRATE's own timeout, in milliseconds.
const migrateTimeout = "5000"

// MigrateSlot moves slot, live, from the master that serves it to the
// master to, the way `redis-cli --cluster reshard` does: CLUSTER SETSLOT
// slot IMPORTING on to, SETSLOT slot MIGRATING on the source, then
// CLUSTER GETKEYSINSLOT and MIGRATE ... KEYS of up to batch keys at a time
// until the source has none left, and last CLUSTER SETSLOT slot NODE on to,
// on the source and on every other master. between, when not nil, is
// called after each MIGRATE, so a test can run load while the slot is
// half moved and clients meet ASK redirections. It does nothing when to
// already serves slot. Replicas learn the new owner by gossip: call
// WaitHealthy when every node must agree.
func (c *Cluster) MigrateSlot(ctx context.Context, slot int, to *Server, batch int, between func()) error {
	if batch <= 0 {
		batch = 10
	}
	from, err := c.MasterOfSlot(ctx, slot)
	if err != nil {
		return err
	}
	if from == to {
		return nil
	}
	if role, _, err := c.role(ctx, to); err != nil {
		return err
	} else if role != "master" {
		return fmt.Errorf("redistest: MigrateSlot: %s is not a master (ROLE %s)", to.Addr, role)
	}
	fromID, err := c.NodeID(ctx, from)
	if err != nil {
		return err
	}
	toID, err := c.NodeID(ctx, to)
	if err != nil {
		return err
	}
	s := strconv.Itoa(slot)
	if _, err := c.do(ctx, to, "CLUSTER", "SETSLOT", s, "IMPORTING", fromID); err != nil {
		return err
	}
	if _, err := c.do(ctx, from, "CLUSTER", "SETSLOT", s, "MIGRATING", toID); err != nil {
		return err
	}
	src, err := c.dial(ctx, from)
	if err != nil {
		return err
	}
	defer src.close()
	for {
		v, err := src.do(ctx, "CLUSTER", "GETKEYSINSLOT", s, strconv.Itoa(batch))
		if err != nil {
			return err
		}
		keys, err := v.Strings()
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			break
		}
		// REPLACE: after failovers the target may hold a stale copy of a
		// key (asynchronous replication); the source owns the slot, so its
		// value wins, as redis-cli --cluster reshard --cluster-replace does.
		args := []string{"MIGRATE", "127.0.0.1", strconv.Itoa(to.Port), "", "0", migrateTimeout, "REPLACE"}
		if c.password != "" {
			args = append(args, "AUTH", c.password)
		}
		args = append(args, "KEYS")
		if _, err := src.do(ctx, append(args, keys...)...); err != nil {
			return err
		}
		if between != nil {
			between()
		}
	}
	if _, err := c.do(ctx, to, "CLUSTER", "SETSLOT", s, "NODE", toID); err != nil {
		return err
	}
	if _, err := c.do(ctx, from, "CLUSTER", "SETSLOT", s, "NODE", toID); err != nil {
		return err
	}
	masters, err := c.Masters(ctx)
	if err != nil {
		return err
	}
	for _, m := range masters {
		if m == to || m == from {
			continue
		}
		if _, err := c.do(ctx, m, "CLUSTER", "SETSLOT", s, "NODE", toID); err != nil {
			return err
		}
	}
	return nil
}
