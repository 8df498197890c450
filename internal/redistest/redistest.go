// Package redistest starts real redis-server processes on free loopback
// ports for tests, benchmarks and the chaos suite, and stops exactly the
// processes it started: a single server (Start), a Redis Cluster
// (StartCluster) or a master with replicas and sentinels (StartSentinels).
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// InstallHint says how to get redis-server when it is missing.
const InstallHint = "redis-server is not on PATH: install it with `sudo apt-get install redis-server` " +
	"(or run `make test`, which installs it when it may)"

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 10 * time.Second

// Server is one redis-server process on 127.0.0.1.
type Server struct {
	Addr string // "127.0.0.1:port"
	Port int

	mu    sync.Mutex
	cmd   *exec.Cmd
	dir   string
	args  []string
	exits chan struct{} // closed when the current process has exited

	// onLaunch, when set, configures each new process once it answers
	// PING (at Start and at every Restart).
	onLaunch func(ctx context.Context, s *Server) error
}

// Start starts a redis-server on a free loopback port with persistence off.
// Extra arguments are passed on (for example "--requirepass", "secret").
func Start(ctx context.Context, extraArgs ...string) (*Server, error) {
	return startWith(ctx, func(dir string, port int) ([]string, error) {
		return append(baseArgs(dir, port), extraArgs...), nil
	}, nil)
}

// baseArgs are the arguments every data server gets: its port, loopback
// only, persistence off, its own directory, in the foreground.
func baseArgs(dir string, port int) []string {
	return []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--loglevel", "warning",
	}
}

// startWith starts a redis-server in a new directory on a free port, with
// the whole argument list built by args for that directory and port. It
// tries a few ports, since one can be taken between probe and bind, and
// calls args again for each. onLaunch, when not nil, configures the
// process once it answers, now and after every Restart.
func startWith(ctx context.Context, args func(dir string, port int) ([]string, error), onLaunch func(context.Context, *Server) error) (*Server, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New(InstallHint)
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 5 { // a free port can be taken between probe and bind
		port, err := freePort()
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Port: port, dir: dir, onLaunch: onLaunch}
		if s.args, err = args(dir, port); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		if lastErr = s.launch(ctx, path); lastErr == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

// StartT starts a server for a test or benchmark and stops it when the test
// ends. A missing redis-server fails the test with InstallHint: it never
// skips.
func StartT(tb testing.TB, extraArgs ...string) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := Start(ctx, extraArgs...)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) launch(ctx context.Context, path string) error {
	logPath := filepath.Join(s.dir, "redis.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(path, s.args...)
	dieWithParent(cmd)
	cmd.Stdout, cmd.Stderr = logFile, logFile // a file: no copying goroutine
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	exits := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exits) }()
	s.mu.Lock()
	s.cmd, s.exits = cmd, exits
	s.mu.Unlock()
	if err := waitReady(ctx, s.Addr, exits); err != nil {
		s.Kill()
		output, _ := os.ReadFile(logPath)
		return fmt.Errorf("redistest: redis-server on %s did not start: %v; output: %s", s.Addr, err, output)
	}
	if s.onLaunch != nil {
		if err := s.onLaunch(ctx, s); err != nil {
			s.Kill()
			return fmt.Errorf("redistest: configure redis-server on %s: %w", s.Addr, err)
		}
	}
	return nil
}

// ProcessWaiter names the goroutine that waits for a server process to
// exit, for leak checks that must ignore a server restarted mid-test.
const ProcessWaiter = "github.com/redmux/redmux/internal/redistest.(*Server).launch.func1"

// Kill stops the server process at once (SIGKILL) and waits for it to exit.
// The port stays reserved for Restart only by convention.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exits := s.cmd, s.exits
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exits
}

// Restart starts the server again on the same port, after Kill.
func (s *Server) Restart(ctx context.Context) error {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New(InstallHint)
	}
	return s.launch(ctx, path)
}

// Pid returns the process id of the running server.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop kills the server process it started and removes its directory.
func (s *Server) Stop() {
	s.Kill()
	_ = os.RemoveAll(s.dir)
}

// Dir returns the server's working directory.
func (s *Server) Dir() string { return filepath.Clean(s.dir) }

// handedOut holds every port freePort has returned in this process, so
// servers started in parallel (a cluster's nodes and bus ports) never get
// the same one, and a killed server's port is not given to another server
// before it restarts.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// freePort returns a loopback port nothing listens on and that this process
// has not handed out before.
func freePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !handedOut.ports[port] {
			if handedOut.ports == nil {
				handedOut.ports = make(map[int]bool)
			}
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return 0, errors.New("redistest: no free loopback port")
}

// running reports whether the server's current process is alive: started
// and not yet exited.
func (s *Server) running() bool {
	s.mu.Lock()
	exits := s.exits
	s.mu.Unlock()
	if exits == nil {
		return false
	}
	select {
	case <-exits:
		return false
	default:
		return true
	}
}

// waitReady polls with PING until the server answers PONG, the process
// exits or ctx ends.
func waitReady(ctx context.Context, addr string, exits <-chan struct{}) error {
	for {
		if err := ping(ctx, addr); err == nil {
			return nil
		}
		select {
		case <-exits:
			return errors.New("process exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}
