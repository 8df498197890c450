package tlstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/redmux/redmux/internal/redistest"
)

// maxSockPath is the longest unix socket path used. sun_path holds 108
// bytes on Linux and 104 on the BSDs and macOS, and redis-server 7.0
// silently truncates a longer path instead of failing.
const maxSockPath = 100

// StartUnix starts a redis-server that also listens on a unix socket with
// --unixsocketperm 700, and stops it when the test ends. It returns the
// socket's path; the plain loopback port stays open (srv.Addr) because
// redistest's readiness probe uses it. Extra arguments are passed on. The
// socket lives in tb.TempDir() when that path is short enough, else in a
// fresh os.MkdirTemp("", "rmx") directory, removed when the test ends.
func StartUnix(tb testing.TB, extraArgs ...string) (sockPath string, srv *redistest.Server) {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatal(redistest.InstallHint)
	}
	sockPath = filepath.Join(tb.TempDir(), "redis.sock")
	if len(sockPath) > maxSockPath {
		dir, err := os.MkdirTemp("", "rmx")
		if err != nil {
			tb.Fatalf("tlstest: %v", err)
		}
		tb.Cleanup(func() { _ = os.RemoveAll(dir) })
		sockPath = filepath.Join(dir, "redis.sock")
		if len(sockPath) > maxSockPath {
			tb.Fatalf("tlstest: unix socket path %q is longer than %d bytes: set TMPDIR to a shorter directory", sockPath, maxSockPath)
		}
	}
	args := append([]string{"--unixsocket", sockPath, "--unixsocketperm", "700"}, extraArgs...)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	srv, err := redistest.Start(ctx, args...)
	if err != nil {
		tb.Fatalf("tlstest: %v", fmt.Errorf("start redis-server with unix socket %s: %w", sockPath, err))
	}
	tb.Cleanup(srv.Stop)
	return sockPath, srv
}
