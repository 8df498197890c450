package redmux

import (
	"context"
	"log/slog"
	"slices"
)

// A reload that changes the cluster's topology is logged at Info, with
// ClusterConfig.Node.Logger: the masters and replicas added and removed,
// and how many slots have a new master. The first load sets the baseline,
// and a reload that finds the same topology logs nothing. A reload is
// compared with the previous reload, not with the live slot map, which
// MOVED repoints in between.

// msgTopologyChanged is the message of a topology change record.
const msgTopologyChanged = "redmux: cluster topology changed"

// topologyView is what two reloads compare.
type topologyView struct {
	masters, replicas []string          // sorted, without duplicates
	owner             [slotCount]uint16 // 1 + the index of the slot's master in masters; 0: none
}

// viewOf summarizes the topology a node reported.
func viewOf(specs []shardSpec) *topologyView {
	v := &topologyView{}
	for _, s := range specs {
		v.masters = append(v.masters, s.master.addr)
		for _, r := range s.replicas {
			v.replicas = append(v.replicas, r.addr)
		}
	}
	slices.Sort(v.masters)
	v.masters = slices.Compact(v.masters)
	slices.Sort(v.replicas)
	v.replicas = slices.Compact(v.replicas)
	for _, s := range specs {
		i, _ := slices.BinarySearch(v.masters, s.master.addr)
		for _, r := range s.ranges {
			for slot := r[0]; slot <= r[1]; slot++ {
				v.owner[slot] = uint16(i + 1)
			}
		}
	}
	return v
}

// ownerOf returns the address of slot's master, "" if it has none.
func (v *topologyView) ownerOf(slot int) string {
	if o := v.owner[slot]; o != 0 {
		return v.masters[o-1]
	}
	return ""
}

// topologyChange is what differs between two views.
type topologyChange struct {
	mastersAdded, mastersRemoved   []string
	replicasAdded, replicasRemoved []string
	slotsMoved                     int // slots whose master changed
}

func diffTopology(old, cur *topologyView) topologyChange {
	c := topologyChange{
		mastersAdded:    missing(cur.masters, old.masters),
		mastersRemoved:  missing(old.masters, cur.masters),
		replicasAdded:   missing(cur.replicas, old.replicas),
		replicasRemoved: missing(old.replicas, cur.replicas),
	}
	for slot := range slotCount {
		if old.ownerOf(slot) != cur.ownerOf(slot) {
			c.slotsMoved++
		}
	}
	return c
}

// missing returns the addresses of from that are not in in (sorted).
func missing(from, in []string) []string {
	out := []string{}
	for _, a := range from {
		if _, found := slices.BinarySearch(in, a); !found {
			out = append(out, a)
		}
	}
	return out
}

func (c topologyChange) empty() bool {
	return len(c.mastersAdded)+len(c.mastersRemoved)+len(c.replicasAdded)+len(c.replicasRemoved)+c.slotsMoved == 0
}

// logTopology logs the topology specs if it differs from the last one
// loaded, and remembers it. It runs where loads run: in NewCluster, then
// on the refresher goroutine only.
func (sh *clusterShared) logTopology(specs []shardSpec) {
	l := sh.cfg.Node.Logger
	if l == nil {
		return
	}
	cur, old := viewOf(specs), sh.lastView
	sh.lastView = cur
	if old == nil {
		return
	}
	c := diffTopology(old, cur)
	if c.empty() {
		return
	}
	l.LogAttrs(context.Background(), slog.LevelInfo, msgTopologyChanged,
		slog.Int("masters", len(cur.masters)), slog.Int("replicas", len(cur.replicas)),
		slog.Any("masters_added", c.mastersAdded), slog.Any("masters_removed", c.mastersRemoved),
		slog.Any("replicas_added", c.replicasAdded), slog.Any("replicas_removed", c.replicasRemoved),
		slog.Int("slots_moved", c.slotsMoved))
}
