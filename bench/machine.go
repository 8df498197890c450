package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where the run happened, for the report.
type Machine struct {
	GoVersion   string    `json:"go_version"`
	OS          string    `json:"os"`
	NumCPU      int       `json:"nproc"`
	CPUModel    string    `json:"cpu_model"`
	Kernel      string    `json:"kernel"`
	RedisServer string    `json:"redis_server"`
	LoadStart   string    `json:"load_average_start"` // /proc/loadavg: 1, 5, 15 minutes
	LoadEnd     string    `json:"load_average_end"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
}

// describeMachine reads the machine's description now.
func describeMachine() Machine {
	return Machine{
		GoVersion:   runtime.Version(),
		OS:          runtime.GOOS + "/" + runtime.GOARCH,
		NumCPU:      runtime.NumCPU(),
		CPUModel:    cpuModel(),
		Kernel:      strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		RedisServer: serverVersion(),
		LoadStart:   loadAverage(),
		Started:     time.Now().UTC(),
	}
}

// Summary is the machine in one line.
func (m Machine) Summary() string {
	return fmt.Sprintf("%s %s, nproc %d, CPU %q, Linux %s, %s", m.GoVersion, m.OS, m.NumCPU, m.CPUModel, m.Kernel, m.RedisServer)
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
