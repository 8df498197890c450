package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
)

// TestDemoPassesOnMiniredis runs a short demo against the embedded
// miniredis and checks that it passes and reports what it did.
func TestDemoPassesOnMiniredis(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"-ops", "3000", "-duration", "30s", "-keys", "200", "-concurrency", "16", "-progress", "0", "-json"}
	if code := execute(args, &out, &errOut); code != exitOK {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
	}
	if !strings.Contains(out.String(), "embedded miniredis") || !strings.Contains(out.String(), "result       OK") {
		t.Errorf("output lacks the server or the result:\n%s", &out)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line is not the JSON summary: %v\n%s", err, lines[len(lines)-1])
	}
	if s.Ops != 3000 || s.StoppedBy != "ops" || !s.OK || s.Mismatches != 0 || s.Latency.Count != 3000 {
		t.Errorf("summary: ops=%d stopped_by=%s ok=%v mismatches=%d latency count=%d; want 3000 ops stopped by ops, ok",
			s.Ops, s.StoppedBy, s.OK, s.Mismatches, s.Latency.Count)
	}
	if s.Client.Requests < 3000 || s.Client.Managers < 1 {
		t.Errorf("client stats: %+v", s.Client)
	}
}

// TestDemoPassesOnCluster runs a short demo against a real 3-master Redis
// Cluster through a ClusterClient: it must pass with no mismatch, say it
// used the cluster, dial every master, and leave keys on each of them.
func TestDemoPassesOnCluster(t *testing.T) {
	cl := redistest.StartClusterT(t, 3, 0)
	var out, errOut bytes.Buffer
	args := []string{"-cluster", strings.Join(cl.Addrs(), ","), "-ops", "3000", "-duration", "30s", "-keys", "300",
		"-concurrency", "16", "-progress", "0", "-json"}
	if code := execute(args, &out, &errOut); code != exitOK {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
	}
	for _, want := range []string{"using the Redis Cluster with seed nodes", "cluster: 3 nodes dialed", "result       OK"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line is not the JSON summary: %v\n%s", err, lines[len(lines)-1])
	}
	if s.Ops != 3000 || !s.OK || s.Mismatches != 0 || s.Missing != 0 || s.ErrorsTotal != 0 {
		t.Errorf("summary: ops=%d ok=%v mismatches=%d missing=%d errors=%d; want 3000 clean ops",
			s.Ops, s.OK, s.Mismatches, s.Missing, s.ErrorsTotal)
	}
	if !strings.Contains(s.Server, "Redis Cluster") || !strings.Contains(s.Server, "(redis ") {
		t.Errorf("server = %q, want the cluster and its version", s.Server)
	}
	if s.Client.Managers != 3*redmux.DefaultClusterNodeManagers {
		t.Errorf("client managers = %d, want %d per master", s.Client.Managers, redmux.DefaultClusterNodeManagers)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, node := range cl.Nodes {
		c, err := redmux.Connect(ctx, node.Addr)
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.Do(ctx, "DBSIZE")
		_ = c.Close()
		if keys, _ := n.Int64(); err != nil || keys == 0 {
			t.Errorf("master %s: DBSIZE = %v, %v; want some of the keys", node.Addr, n, err)
		}
	}
}

// TestInvalidFlagsExitTwo checks that bad flags are reported by name,
// with exit status 2, before anything starts.
func TestInvalidFlagsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-get-ratio", "1.5"}, "-get-ratio"},
		{[]string{"-value-size", "8"}, "-value-size 8 is too small"},
		{[]string{"-concurrency", "0"}, "-concurrency"},
		{[]string{"-duration", "-1s"}, "-duration"},
		{[]string{"-ops", "-5"}, "-ops"},
		{[]string{"-managers", "-1"}, "-managers"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"-cluster", "127.0.0.1:7000", "-addr", "127.0.0.1:6379"}, "-cluster and -addr"},
		{[]string{"-cluster", " , "}, "-cluster"},
	} {
		var out, errOut bytes.Buffer
		if code := execute(tc.args, &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit status %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: stderr %q does not mention %q", tc.args, errOut.String(), tc.want)
		}
	}
}

// TestHelpExitsZero checks that -h prints the usage and every flag.
func TestHelpExitsZero(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := execute([]string{"-h"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit status %d", code)
	}
	for _, name := range []string{"Usage:", "Examples:", "-addr", "-concurrency", "-duration", "-ops", "-value-size",
		"-keys", "-get-ratio", "-managers", "-progress", "-json", "-cluster"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("-h output lacks %q", name)
		}
	}
}

// TestJudge checks the exit criteria.
func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    summary
		ok   bool
	}{
		{"clean", summary{Ops: 1000}, true},
		{"one mismatch", summary{Ops: 1000, Mismatches: 1, WrongKey: 1}, false},
		{"missing key", summary{Ops: 1000, Missing: 1}, false},
		{"errors within the limit", summary{Ops: 10_000, ErrorsTotal: 10}, true},
		{"errors beyond the limit", summary{Ops: 10_000, ErrorsTotal: 11}, false},
		{"nothing ran", summary{}, false},
	} {
		tc.s.judge(0.001)
		if tc.s.OK != tc.ok || tc.ok != (len(tc.s.Failures) == 0) {
			t.Errorf("%s: OK=%v failures=%q, want OK=%v", tc.name, tc.s.OK, tc.s.Failures, tc.ok)
		}
	}
}

// TestURLFlagConnectsAndRejectsConflicts: -url names the server (here the
// embedded one's address through a redis:// URL with a query), and cannot
// be combined with -addr.
func TestURLFlagConnectsAndRejectsConflicts(t *testing.T) {
	mr := miniredis.RunT(t)
	var out, errOut bytes.Buffer
	args := []string{"-url", "redis://" + mr.Addr() + "/0?protocol=2&client_name=bench", "-ops", "200", "-keys", "50",
		"-concurrency", "4", "-progress", "0", "-duration", "30s"}
	if code := execute(args, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d with -url\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"-url", "redis://" + mr.Addr(), "-addr", mr.Addr()}, "-addr and -url"},
		{[]string{"-url", "redis://h?colour=blue"}, "-url"},
	} {
		out.Reset()
		errOut.Reset()
		if code := execute(bad.args, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String()+out.String(), bad.want) {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", bad.args, code, &out, &errOut)
		}
	}
}
