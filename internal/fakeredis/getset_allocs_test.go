//go:build !race

// The race detector allocates on its own, so this file is built without it.

package fakeredis

import (
	"io"
	"net"
	"testing"

	"github.com/redmux/redmux/resp"
)

// TestGetSetAllocatesNothingPerCommand: the GetSet server serves a SET and
// a GET without allocating, so the client's allocation counts measured
// against it are the client's alone. The client side here is a raw TCP
// connection writing pre-encoded commands and reading into a fixed buffer.
func TestGetSetAllocatesNothingPerCommand(t *testing.T) {
	s := GetSet(t, []byte("0123456789abcdef"))
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	cmds := resp.AppendCommandStrings(nil, "SET", "key:1", "0123456789abcdef")
	cmds = resp.AppendCommandStrings(cmds, "GET", "key:1")
	want := "+OK\r\n$16\r\n0123456789abcdef\r\n"
	buf := make([]byte, len(want))
	allocs := testing.AllocsPerRun(500, func() {
		if _, err := nc.Write(cmds); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(nc, buf); err != nil || string(buf) != want {
			t.Fatalf("read %q, %v; want %q", buf, err, want)
		}
	})
	if allocs > 0 {
		t.Errorf("%.2f allocations per SET and GET, want 0", allocs)
	}
}
