package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/stat and
// /proc/PID/stat times (100 on every Linux of interest).
const clockTicks = 100

// cpuSample is a snapshot of how much CPU time the machine and the
// server (or the cluster's nodes) have used, to tell afterwards whether
// anything else ran during a measurement.
type cpuSample struct {
	at     time.Time
	busy   float64 // seconds of user, nice, system, irq and softirq time, all CPUs
	steal  float64 // seconds the hypervisor gave to other guests
	server float64 // seconds of user and system time of the server processes
}

// sampleCPU reads the machine's CPU time now, and the CPU time of the
// server processes serverPids (one redis-server, or every cluster node).
func sampleCPU(serverPids []int) cpuSample {
	s := cpuSample{at: time.Now()}
	for line := range strings.Lines(readFile("/proc/stat")) {
		f := strings.Fields(line)
		if len(f) > 8 && f[0] == "cpu" {
			s.busy = ticks(f[1]) + ticks(f[2]) + ticks(f[3]) + ticks(f[6]) + ticks(f[7])
			s.steal = ticks(f[8])
			break
		}
	}
	for _, pid := range serverPids {
		s.server += processCPU(pid)
	}
	return s
}

// processCPU returns the seconds of user and system time pid has used.
func processCPU(pid int) float64 {
	// /proc/PID/stat: after "(comm)", fields 14 and 15 are utime and stime.
	stat := readFile(fmt.Sprintf("/proc/%d/stat", pid))
	if i := strings.LastIndexByte(stat, ')'); i >= 0 {
		if f := strings.Fields(stat[i+1:]); len(f) > 12 {
			return ticks(f[11]) + ticks(f[12])
		}
	}
	return 0
}

// ticks parses a count of clock ticks into seconds.
func ticks(s string) float64 {
	n, _ := strconv.ParseFloat(s, 64)
	return n / clockTicks
}

// otherLoad returns, between b and a, how many CPUs on average were busy
// with neither the server nor the child (which used child seconds), and
// how many were stolen by the hypervisor. Kernel work for the loopback
// traffic accounted to no process shows up in other too, so a small value
// is normal; a large one means something else was running.
func otherLoad(b, a cpuSample, child time.Duration) (other, steal float64) {
	wall := a.at.Sub(b.at).Seconds()
	if wall <= 0 {
		return 0, 0
	}
	other = (a.busy - b.busy) - (a.server - b.server) - child.Seconds()
	return max(other, 0) / wall, (a.steal - b.steal) / wall
}

// quietSample is the span over which waitQuiet measures the machine.
const quietSample = time.Second

// waitQuiet waits, between measurements, until the CPUs busy with
// anything but the server stay under threshold over a quietSample, or
// until limit has passed. It returns the last load it saw and whether it
// was quiet.
func waitQuiet(ctx context.Context, serverPids []int, threshold float64, limit time.Duration) (float64, bool) {
	deadline := time.Now().Add(limit)
	for {
		before := sampleCPU(serverPids)
		select {
		case <-ctx.Done():
			return 0, false
		case <-time.After(quietSample):
		}
		other, _ := otherLoad(before, sampleCPU(serverPids), 0)
		if other < threshold || time.Now().After(deadline) {
			return other, other < threshold
		}
	}
}
