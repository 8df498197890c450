package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sentinelStartTimeout bounds StartSentinelsT: starting the servers and
// sentinels and waiting until they are ready.
const sentinelStartTimeout = 60 * time.Second

// Sentinels is a master, its replicas and sentinels watching them, all on
// 127.0.0.1.
//
// The sentinels run with down-after-milliseconds 1000 and failover-timeout
// 5000, and with their fixed periods shortened (see sentinelDebug), so a
// killed master fails over to a replica in about 2 s, and a restarted old
// master is made a replica of the new one about 3 s after its restart.
// Each sentinel rewrites its own sentinel.conf, so Server.Restart brings a
// killed sentinel back with its identity and what it had learnt.
type Sentinels struct {
	// MasterName is the name the sentinels monitor the master under.
	MasterName string
	// Master is the server started as the master. After a failover it is
	// no longer the master: MasterAddr and Server tell the current one.
	Master *Server
	// Replicas are the servers started as replicas of Master.
	Replicas []*Server
	// Sentinels are the sentinel processes.
	Sentinels []*Server

	password         string // the data servers' --requirepass
	sentinelPassword string
}

// SentinelOptions configures StartSentinelsWith.
type SentinelOptions struct {
	// MasterName is the name the sentinels monitor the master under; it
	// must not be empty nor hold spaces.
	MasterName string
	// Replicas is the number of replicas of the master.
	Replicas int
	// Sentinels is the number of sentinels, at least 1.
	Sentinels int
	// Quorum is the number of sentinels that must agree the master is
	// down; 0 means a majority of Sentinels (2 of 3).
	Quorum int
	// ServerArgs go to the master and the replicas. When they hold
	// --requirepass, every data server also gets it as --masterauth and
	// the sentinels get it as auth-pass. Redis 7.0 writes auth-pass back
	// into sentinel.conf unquoted, so with a password holding a space or
	// a quote a sentinel runs but cannot Restart.
	ServerArgs []string
	// SentinelPassword, when not empty, is the sentinels' own requirepass:
	// clients must AUTH with it, and the sentinels use it with each other.
	SentinelPassword string
}

// StartSentinels starts a master named masterName, replicas replicas of it
// and sentinels sentinels watching them, and waits until they are ready
// (see WaitReady). extraArgs go to the master and the replicas (for example
// "--requirepass", "secret"). It is StartSentinelsWith with a default
// quorum and no sentinel password.
func StartSentinels(ctx context.Context, masterName string, replicas, sentinels int, extraArgs ...string) (*Sentinels, error) {
	return StartSentinelsWith(ctx, SentinelOptions{
		MasterName: masterName,
		Replicas:   replicas,
		Sentinels:  sentinels,
		ServerArgs: extraArgs,
	})
}

// StartSentinelsT starts a sentinel set for a test (see StartSentinels)
// and stops it when the test ends. A missing redis-server fails the test
// with InstallHint: it never skips.
func StartSentinelsT(tb testing.TB, masterName string, replicas, sentinels int, extraArgs ...string) *Sentinels {
	tb.Helper()
	return StartSentinelsWithT(tb, SentinelOptions{
		MasterName: masterName,
		Replicas:   replicas,
		Sentinels:  sentinels,
		ServerArgs: extraArgs,
	})
}

// StartSentinelsWithT is StartSentinelsWith for a test: it stops the set
// when the test ends and fails the test (never skips) when it cannot start.
func StartSentinelsWithT(tb testing.TB, opts SentinelOptions) *Sentinels {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sentinelStartTimeout)
	defer cancel()
	s, err := StartSentinelsWith(ctx, opts)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartSentinelsWith starts the master, then its replicas; once the
// master sees every replica online it starts the sentinels in parallel,
// and then waits until the set is ready (see WaitReady). The order matters
// for speed: a sentinel learns replicas from the master's INFO, which it
// asks for at start and then only periodically.
func StartSentinelsWith(ctx context.Context, opts SentinelOptions) (*Sentinels, error) {
	switch {
	case opts.MasterName == "" || strings.ContainsAny(opts.MasterName, " \t\r\n\"'"):
		return nil, fmt.Errorf("redistest: bad sentinel master name %q", opts.MasterName)
	case opts.Sentinels < 1:
		return nil, fmt.Errorf("redistest: %d sentinels, want at least 1", opts.Sentinels)
	case opts.Replicas < 0:
		return nil, fmt.Errorf("redistest: negative replicas: %d", opts.Replicas)
	case opts.Quorum < 0 || opts.Quorum > opts.Sentinels:
		return nil, fmt.Errorf("redistest: quorum %d with %d sentinels", opts.Quorum, opts.Sentinels)
	}
	quorum := opts.Quorum
	if quorum == 0 {
		quorum = opts.Sentinels/2 + 1
	}
	s := &Sentinels{
		MasterName:       opts.MasterName,
		password:         requirePass(opts.ServerArgs),
		sentinelPassword: opts.SentinelPassword,
	}
	dataArgs := func(dir string, port int, more ...string) []string {
		args := append(baseArgs(dir, port), "--repl-diskless-sync-delay", "0")
		if s.password != "" {
			args = append(args, "--masterauth", s.password) // any of them may become a replica
		}
		args = append(args, more...)
		return append(args, opts.ServerArgs...)
	}
	var err error
	s.Master, err = startWith(ctx, func(dir string, port int) ([]string, error) {
		return dataArgs(dir, port), nil
	}, nil)
	if err != nil {
		return nil, err
	}
	masterPort := strconv.Itoa(s.Master.Port)

	s.Replicas = make([]*Server, opts.Replicas)
	if err := startParallel(ctx, s.Replicas, func(dir string, port int) ([]string, error) {
		return dataArgs(dir, port, "--replicaof", "127.0.0.1", masterPort), nil
	}, nil); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.waitReplicasOnline(ctx); err != nil {
		s.Stop()
		return nil, err
	}

	s.Sentinels = make([]*Server, opts.Sentinels)
	if err := startParallel(ctx, s.Sentinels, func(dir string, port int) ([]string, error) {
		conf := filepath.Join(dir, "sentinel.conf")
		if err := os.WriteFile(conf, []byte(s.sentinelConf(dir, masterPort, quorum)), 0o600); err != nil {
			return nil, err
		}
		return []string{conf, "--sentinel", "--port", strconv.Itoa(port)}, nil
	}, s.tune); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.WaitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// startParallel fills servers with servers started in parallel. On error
// it leaves the ones that started in servers, and nil for the others.
func startParallel(ctx context.Context, servers []*Server, args func(dir string, port int) ([]string, error), onLaunch func(context.Context, *Server) error) error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = startWith(ctx, args, onLaunch)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sentinelDebug shortens the sentinels' fixed periods with SENTINEL DEBUG
// (a Redis 7.0 command meant for tests; the values live in memory only, so
// tune runs again after every Restart): INFO to masters and replicas every
// second instead of 10 s, hellos every 500 ms instead of 2 s (which also
// makes a sentinel turn a restarted old master into a replica after 2 s
// instead of 8 s), and is-master-down questions every 500 ms.
var sentinelDebug = []string{
	"SENTINEL", "DEBUG",
	"info-period", "1000",
	"publish-period", "500",
	"ask-period", "500",
	"ping-period", "500",
}

// tune applies sentinelDebug to a newly launched sentinel.
func (s *Sentinels) tune(ctx context.Context, sen *Server) error {
	_, err := command(ctx, sen.Addr, s.sentinelPassword, sentinelDebug...)
	return err
}

// sentinelConf is a sentinel's configuration file; the sentinel rewrites
// it as it learns.
func (s *Sentinels) sentinelConf(dir, masterPort string, quorum int) string {
	name := s.MasterName
	lines := []string{
		"bind 127.0.0.1",
		"daemonize no",
		"loglevel warning", // the +sdown, +odown, +switch-master events are warnings
		"dir " + confQuote(dir),
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %s %d", name, masterPort, quorum),
		"sentinel down-after-milliseconds " + name + " 1000",
		"sentinel failover-timeout " + name + " 5000",
		"sentinel parallel-syncs " + name + " 1",
	}
	if s.password != "" {
		lines = append(lines, "sentinel auth-pass "+name+" "+confQuote(s.password))
	}
	if s.sentinelPassword != "" {
		lines = append(lines, "requirepass "+confQuote(s.sentinelPassword))
	}
	return strings.Join(lines, "\n") + "\n"
}

// confQuote quotes a value for a Redis configuration file.
func confQuote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			fmt.Fprintf(&b, `\x%02x`, c)
		} else {
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// waitReplicasOnline waits until the master's INFO replication lists every
// replica with state=online.
func (s *Sentinels) waitReplicasOnline(ctx context.Context) error {
	for {
		err := s.replicasOnline(ctx)
		if err == nil {
			return nil
		}
		if sleepCtx(ctx) != nil {
			return fmt.Errorf("redistest: replicas did not come online: %w (last: %v)", ctx.Err(), err)
		}
	}
}

func (s *Sentinels) replicasOnline(ctx context.Context) error {
	a, err := dialAdmin(ctx, s.Master.Addr, s.password)
	if err != nil {
		return err
	}
	defer a.close()
	repl, err := a.info(ctx, "replication")
	if err != nil {
		return err
	}
	online := 0
	for k, v := range repl {
		if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online") {
			online++
		}
	}
	if online < len(s.Replicas) {
		return fmt.Errorf("master %s sees %d of %d replicas online", s.Master.Addr, online, len(s.Replicas))
	}
	return nil
}

// SentinelAddrs returns the sentinels' addresses.
func (s *Sentinels) SentinelAddrs() []string { return addrsOf(s.Sentinels) }

// Stop kills every process the set started (the sentinels first, so they
// do not react to the others going) and removes their directories. It may
// be called more than once.
func (s *Sentinels) Stop() {
	stopAll(s.Sentinels)
	stopAll(append([]*Server{s.Master}, s.Replicas...))
}

// stopAll stops servers in parallel, skipping nil ones.
func stopAll(servers []*Server) {
	var wg sync.WaitGroup
	for _, srv := range servers {
		if srv == nil {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); srv.Stop() }()
	}
	wg.Wait()
}

// Server returns the master or replica at addr ("127.0.0.1:port"),
// whatever its role now, or nil when the set has no such server.
func (s *Sentinels) Server(addr string) *Server {
	for _, srv := range s.data() {
		if srv.Addr == addr {
			return srv
		}
	}
	return nil
}

// data returns the master and the replicas, as started.
func (s *Sentinels) data() []*Server {
	out := make([]*Server, 0, 1+len(s.Replicas))
	if s.Master != nil {
		out = append(out, s.Master)
	}
	for _, r := range s.Replicas {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

func runningOf(servers []*Server) []*Server {
	var out []*Server
	for _, srv := range servers {
		if srv != nil && srv.running() {
			out = append(out, srv)
		}
	}
	return out
}

// getMasterAddr asks one sentinel for the master's address.
func (s *Sentinels) getMasterAddr(ctx context.Context, a *adminConn) (string, error) {
	v, err := a.do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
	if err != nil {
		return "", err
	}
	if v.IsNull() {
		return "", fmt.Errorf("redistest: sentinel %s does not know master %q", a.addr, s.MasterName)
	}
	hp, err := v.Strings()
	if err != nil || len(hp) != 2 {
		return "", fmt.Errorf("redistest: unexpected GET-MASTER-ADDR-BY-NAME reply from %s: %v", a.addr, v)
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}

// MasterAddr asks the running sentinels, in order, for the master's
// address (SENTINEL GET-MASTER-ADDR-BY-NAME) and returns the first answer,
// as "ip:port".
func (s *Sentinels) MasterAddr(ctx context.Context) (string, error) {
	var errs []error
	for _, sen := range runningOf(s.Sentinels) {
		addr, err := func() (string, error) {
			a, err := dialAdmin(ctx, sen.Addr, s.sentinelPassword)
			if err != nil {
				return "", err
			}
			defer a.close()
			return s.getMasterAddr(ctx, a)
		}()
		if err == nil {
			return addr, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return "", errors.New("redistest: no sentinel is running")
	}
	return "", errors.Join(errs...)
}

// WaitReady waits until the set is ready, or ctx ends. Ready means, with
// killed processes left out: every running sentinel names the same master
// and sees it up (flags "master" in SENTINEL MASTER), that master is a
// running server of the set whose ROLE is master, every other running
// server replicates it with master_link_status:up, and every sentinel
// lists each of those replicas as up and linked (SENTINEL REPLICAS) and
// each other running sentinel as up (SENTINEL SENTINELS).
func (s *Sentinels) WaitReady(ctx context.Context) error {
	for {
		err := s.checkReady(ctx)
		if err == nil {
			return nil
		}
		if sleepCtx(ctx) != nil {
			return fmt.Errorf("redistest: sentinels not ready: %w (last: %v)", ctx.Err(), err)
		}
	}
}

func (s *Sentinels) checkReady(ctx context.Context) error {
	sentinels := runningOf(s.Sentinels)
	if len(sentinels) == 0 {
		return errors.New("no sentinel is running")
	}
	masterAddr := ""
	views := make([]sentinelView, len(sentinels))
	for i, sen := range sentinels {
		v, err := s.readSentinel(ctx, sen)
		if err != nil {
			return err
		}
		if masterAddr == "" {
			masterAddr = v.masterAddr
		} else if v.masterAddr != masterAddr {
			return fmt.Errorf("sentinels disagree on the master: %s says %s, %s says %s",
				sentinels[0].Addr, masterAddr, sen.Addr, v.masterAddr)
		}
		views[i] = v
	}
	master := s.Server(masterAddr)
	if master == nil || !master.running() {
		return fmt.Errorf("the sentinels' master %s is not a running server of the set", masterAddr)
	}
	if err := s.checkData(ctx, master); err != nil {
		return err
	}
	for i, v := range views {
		if !flagsUp(v.masterFlags, "master") || hasFlag(v.masterFlags, "failover_in_progress") {
			return fmt.Errorf("sentinel %s: master flags %q", sentinels[i].Addr, v.masterFlags)
		}
		for _, r := range runningOf(s.data()) {
			if r == master {
				continue
			}
			got, ok := v.replicas[r.Addr]
			if !ok || !flagsUp(got.flags, "slave") || got.link != "ok" {
				return fmt.Errorf("sentinel %s: replica %s has flags %q, master-link-status %q", sentinels[i].Addr, r.Addr, got.flags, got.link)
			}
		}
		for _, other := range sentinels {
			if other == sentinels[i] {
				continue
			}
			if got, ok := v.sentinels[other.Addr]; !ok || !flagsUp(got.flags, "sentinel") {
				return fmt.Errorf("sentinel %s: sentinel %s has flags %q", sentinels[i].Addr, other.Addr, got.flags)
			}
		}
	}
	return nil
}

// sentinelView is what one sentinel says about the set.
type sentinelView struct {
	masterAddr  string
	masterFlags string
	replicas    map[string]instance // by address
	sentinels   map[string]instance // by address
}

// instance is what a sentinel says about a replica or another sentinel.
type instance struct {
	flags string
	link  string // a replica's master-link-status: "ok" or "err"
}

func hasFlag(flags, flag string) bool {
	return slices.Contains(strings.Split(flags, ","), flag)
}

// flagsUp reports whether a sentinel's flags for an instance have role
// and none of s_down, o_down, disconnected. Others, such as a peer
// sentinel's master_down left over from a failover, do not matter.
func flagsUp(flags, role string) bool {
	return hasFlag(flags, role) && !hasFlag(flags, "s_down") && !hasFlag(flags, "o_down") && !hasFlag(flags, "disconnected")
}

func (s *Sentinels) readSentinel(ctx context.Context, sen *Server) (sentinelView, error) {
	var v sentinelView
	a, err := dialAdmin(ctx, sen.Addr, s.sentinelPassword)
	if err != nil {
		return v, err
	}
	defer a.close()
	if v.masterAddr, err = s.getMasterAddr(ctx, a); err != nil {
		return v, err
	}
	reply, err := a.do(ctx, "SENTINEL", "MASTER", s.MasterName)
	if err != nil {
		return v, err
	}
	fields, err := reply.StringMap()
	if err != nil {
		return v, err
	}
	v.masterFlags = fields["flags"]
	if v.replicas, err = s.instances(ctx, a, "REPLICAS"); err != nil {
		return v, err
	}
	v.sentinels, err = s.instances(ctx, a, "SENTINELS")
	return v, err
}

// instances runs SENTINEL REPLICAS or SENTINEL SENTINELS.
func (s *Sentinels) instances(ctx context.Context, a *adminConn, which string) (map[string]instance, error) {
	reply, err := a.do(ctx, "SENTINEL", which, s.MasterName)
	if err != nil {
		return nil, err
	}
	list, err := reply.Array()
	if err != nil {
		return nil, err
	}
	out := make(map[string]instance)
	for _, e := range list {
		m, err := e.StringMap()
		if err != nil {
			return nil, err
		}
		out[net.JoinHostPort(m["ip"], m["port"])] = instance{flags: m["flags"], link: m["master-link-status"]}
	}
	return out, nil
}

// checkData checks that master is a master and every other running data
// server replicates it with its link up.
func (s *Sentinels) checkData(ctx context.Context, master *Server) error {
	for _, srv := range runningOf(s.data()) {
		a, err := dialAdmin(ctx, srv.Addr, s.password)
		if err != nil {
			return err
		}
		repl, err := a.info(ctx, "replication")
		a.close()
		if err != nil {
			return err
		}
		role := repl["role"]
		switch {
		case srv == master && role != "master":
			return fmt.Errorf("master %s has role:%s", srv.Addr, role)
		case srv == master:
		case role != "slave" || repl["master_port"] != strconv.Itoa(master.Port):
			return fmt.Errorf("server %s has role:%s master_port:%s, want a replica of %s", srv.Addr, role, repl["master_port"], master.Addr)
		case repl["master_link_status"] != "up":
			return fmt.Errorf("replica %s: master_link_status:%s", srv.Addr, repl["master_link_status"])
		}
	}
	return nil
}
