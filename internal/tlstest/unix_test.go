package tlstest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartUnix(t *testing.T) {
	sock, srv := StartUnix(t)
	wantUnixPong(t, sock)
	st, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o700 {
		t.Fatalf("%s: mode %v; want a socket with permissions 0700", sock, st.Mode())
	}
	if srv.Addr == "" {
		t.Fatal("no plain address")
	}
}

// TestStartUnixLongTempDir checks the fallback to os.MkdirTemp when the
// test's TempDir would make too long a socket path.
func TestStartUnixLongTempDir(t *testing.T) {
	// Under /tmp, not $TMPDIR: the test needs a short base, whatever the
	// machine's temporary directory is.
	base, err := os.MkdirTemp("/tmp", "rmxlong")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	long := filepath.Join(base, strings.Repeat("d", 30))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	if len(long) > maxSockPath-30 {
		t.Fatalf("the directory %s is too long for this test", long)
	}
	t.Setenv("GOTMPDIR", long) // TempDir's parent since Go 1.25
	t.Setenv("TMPDIR", long)   // before, and os.MkdirTemp's
	t.Run(strings.Repeat("LongSubtestName", 5), func(t *testing.T) {
		sock, _ := StartUnix(t)
		if !strings.HasPrefix(filepath.Base(filepath.Dir(sock)), "rmx") {
			t.Fatalf("socket %s is not in an rmx directory", sock)
		}
		wantUnixPong(t, sock)
	})
}

func wantUnixPong(t *testing.T, sock string) {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if line, err := ping(c); err != nil || line != "+PONG\r\n" {
		t.Fatalf("PING on %s: %q, %v; want +PONG", sock, line, err)
	}
}
