package redmux

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/redistest"
	"github.com/redmux/redmux/resp"
)

// noKeyReadOnly are the table's commands Redis does not flag read-only but
// which have no effect at all.
var noKeyReadOnly = map[string]bool{"PING": true, "ECHO": true, "TIME": true, "INFO": true, "LASTSAVE": true}

// containerReadOnly are the table's commands that are read-only in every
// subcommand (Redis flags the subcommands, not the container).
var containerReadOnly = map[string]bool{"OBJECT": true, "XINFO": true}

// TestReadOnlyTableMatchesServerFlags checks the read-only table against a
// real server's COMMAND INFO: every command it lists that the server knows
// is flagged readonly (or is one of the documented exceptions), so a write
// can never be resent by mistake.
func TestReadOnlyTableMatchesServerFlags(t *testing.T) {
	srv := redistest.StartT(t)
	info := commandInfo(t, srv.Addr)
	known := 0
	for name := range readOnlyCommands {
		entry, ok := info[strings.ToLower(name)]
		if !ok {
			continue // newer than this server
		}
		known++
		switch {
		case noKeyReadOnly[name]:
			if hasFlag(entry, "write") {
				t.Errorf("%s is flagged write", name)
			}
		case containerReadOnly[name]:
			for _, sub := range subcommands(t, entry) {
				if !hasFlag(sub, "readonly") && !strings.HasSuffix(subName(sub), "|help") {
					t.Errorf("%s is not read-only", subName(sub))
				}
			}
		case !hasFlag(entry, "readonly"):
			t.Errorf("%s is in the read-only table but the server does not flag it readonly", name)
		}
	}
	if known < 80 {
		t.Errorf("the server knows only %d of the table's commands", known)
	}
}

func TestIsReadOnly(t *testing.T) {
	cases := []struct {
		name string
		want bool
	}{
		{"GET", true},
		{"get", true},
		{"HGETALL", true},
		{"GEORADIUSBYMEMBER_RO", true},
		{"SET", false},
		{"EVAL", false},
		{"AVERYLONGCOMMANDNAMEBEYONDTHIRTYTWOBYTES", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := isReadOnly(tc.name); got != tc.want {
			t.Errorf("isReadOnly(%q) = %t, want %t", tc.name, got, tc.want)
		}
	}
}

// commandInfo returns COMMAND INFO of every command, by lower-case name.
func commandInfo(t *testing.T, addr string) map[string]resp.Value {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(resp.AppendCommandStrings(nil, "COMMAND", "INFO")); err != nil {
		t.Fatal(err)
	}
	v, err := resp.NewReader(bufio.NewReader(nc)).ReadValue()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := v.Array()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]resp.Value, len(entries))
	for _, e := range entries {
		if e.IsNull() {
			continue
		}
		out[subName(e)] = e
	}
	return out
}

func subName(entry resp.Value) string {
	fields, _ := entry.Array()
	name, _ := fields[0].Bytes()
	return string(name)
}

func hasFlag(entry resp.Value, flag string) bool {
	fields, _ := entry.Array()
	flags, _ := fields[2].Array()
	for _, f := range flags {
		if b, _ := f.Bytes(); string(b) == flag {
			return true
		}
	}
	return false
}

func subcommands(t *testing.T, entry resp.Value) []resp.Value {
	fields, _ := entry.Array()
	if len(fields) < 10 {
		t.Fatalf("COMMAND INFO entry of %s has no subcommands field", subName(entry))
	}
	subs, _ := fields[9].Array()
	return subs
}
