package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Machine describes where the run happened, for the report.
type Machine struct {
	GoVersion   string `json:"go_version"`
	OS          string `json:"os"`
	NumCPU      int    `json:"nproc"`
	CPUModel    string `json:"cpu_model"`
	Kernel      string `json:"kernel"`
	RedisServer string `json:"redis_server"`
	// Library is the redmux commit measured (the bench module uses the
	// working tree above it) and any uncommitted change to its non-test
	// files.
	Library      string    `json:"library"`
	LibraryDirty []string  `json:"library_dirty,omitempty"`
	LoadStart    string    `json:"load_average_start"` // /proc/loadavg: 1, 5, 15 minutes
	LoadEnd      string    `json:"load_average_end"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
}

// describeMachine reads the machine's description now.
func describeMachine() Machine {
	return Machine{
		GoVersion:    runtime.Version(),
		OS:           runtime.GOOS + "/" + runtime.GOARCH,
		NumCPU:       runtime.NumCPU(),
		CPUModel:     cpuModel(),
		Kernel:       strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		RedisServer:  serverVersion(),
		Library:      libraryCommit(),
		LibraryDirty: libraryChanges(),
		LoadStart:    loadAverage(),
		Started:      time.Now().UTC(),
	}
}

// Summary is the machine in one line.
func (m Machine) Summary() string {
	return fmt.Sprintf("%s %s, nproc %d, CPU %q, Linux %s, %s", m.GoVersion, m.OS, m.NumCPU, m.CPUModel, m.Kernel, m.RedisServer)
}

// libraryCommit returns the last commit that changed Go code or go.mod
// outside the bench module: the redmux code measured.
func libraryCommit() string {
	out, err := exec.Command("git", "-C", "..", "log", "-1", "--format=%h %s", "--", "*.go", "go.mod", ":!bench").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	return strings.TrimSpace(string(out))
}

// libraryChanges lists the library's non-test Go files and go.mod that
// differ from that commit: the code measured is the working tree.
func libraryChanges() []string {
	out, err := exec.Command("git", "-C", "..", "status", "--porcelain", "--", "*.go", "go.mod", ":!bench", ":!*_test.go").Output()
	if err != nil {
		return nil
	}
	var files []string
	for line := range strings.Lines(string(out)) {
		if len(line) > 3 {
			files = append(files, strings.TrimSpace(line[3:])+" ("+statusName(line[:2])+")")
		}
	}
	return files
}

// statusName names a git status --porcelain code.
func statusName(code string) string {
	switch {
	case code == "??":
		return "untracked"
	case strings.Contains(code, "D"):
		return "deleted"
	case strings.Contains(code, "A"):
		return "added"
	}
	return "modified"
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	for line := range strings.Lines(readFile("/proc/cpuinfo")) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// readFile returns the file's contents, or "" if it cannot be read.
func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
