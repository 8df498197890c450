package redmux

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
)

// shard is a master and its replicas, serving some slots.
type shard struct {
	master   *clusterNode
	replicas []*clusterNode
	turn     atomic.Uint32 // round robin over the replicas
}

// topology maps every slot to its shard. A reload builds a new topology;
// MOVED changes one slot of the current one in place (slots are atomic).
type topology struct {
	slots  [slotCount]atomic.Pointer[shard]
	shards []*shard
}

// shardOf returns the shard serving slot, or nil when no node does.
func (t *topology) shardOf(slot int) *shard { return t.slots[slot].Load() }

// masters returns each shard's master, once.
func (t *topology) masters() []*clusterNode {
	seen := map[*clusterNode]bool{}
	var out []*clusterNode
	for _, s := range t.shards {
		if !seen[s.master] {
			seen[s.master] = true
			out = append(out, s.master)
		}
	}
	return out
}

// The parsed description of a cluster, as a node reports it.
type (
	nodeSpec struct {
		addr    string
		healthy bool
	}
	shardSpec struct {
		ranges   [][2]int
		master   nodeSpec
		replicas []nodeSpec
	}
)

var errNoSlots = errors.New("the node reports no slot served by any master")

// parseShards reads CLUSTER SHARDS (Redis 7): a list of shards, each with
// "slots" (start and end pairs) and "nodes" (a map per node), as RESP3
// maps or RESP2 flat arrays. askedHost stands in for a node that does not
// know its own address; withTLS picks the nodes' TLS ports.
func parseShards(v Value, askedHost string, withTLS bool) ([]shardSpec, error) {
	items, err := v.Array()
	if err != nil {
		return nil, err
	}
	var specs []shardSpec
	for _, item := range items {
		fields, err := fieldsOf(item)
		if err != nil {
			return nil, err
		}
		var spec shardSpec
		if spec.ranges, err = slotRanges(fields["slots"]); err != nil {
			return nil, err
		}
		if len(spec.ranges) == 0 {
			continue // a shard without slots serves nothing
		}
		nodes, err := fields["nodes"].Array()
		if err != nil {
			return nil, fmt.Errorf("nodes: %w", err)
		}
		if err := spec.addNodes(nodes, askedHost, withTLS); err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return nil, errNoSlots
	}
	return specs, nil
}

// addNodes sorts a shard's nodes into its master and replicas. After a
// failover the old master may still be listed as a failed master: the
// online one wins.
func (s *shardSpec) addNodes(nodes []Value, askedHost string, withTLS bool) error {
	haveMaster := false
	for _, n := range nodes {
		f, err := fieldsOf(n)
		if err != nil {
			return err
		}
		node, err := shardNode(f, askedHost, withTLS)
		if err != nil {
			return err
		}
		role, _ := f["role"].Text()
		switch {
		case role == "master" && (!haveMaster || node.healthy && !s.master.healthy):
			if haveMaster {
				s.replicas = append(s.replicas, s.master)
			}
			s.master, haveMaster = node, true
		default:
			s.replicas = append(s.replicas, node)
		}
	}
	if !haveMaster {
		return errors.New("a shard with slots lists no master")
	}
	return nil
}

// shardNode reads one node of CLUSTER SHARDS.
func shardNode(f map[string]Value, askedHost string, withTLS bool) (nodeSpec, error) {
	port, err := f["port"].Int64()
	if tlsPort, tlsErr := f["tls-port"].Int64(); withTLS && tlsErr == nil {
		port, err = tlsPort, nil
	}
	if err != nil {
		return nodeSpec{}, fmt.Errorf("port: %w", err)
	}
	// "?" means the node cannot tell its endpoint: the one the client
	// reached it by serves.
	host, _ := f["endpoint"].Text()
	if host == "" {
		host, _ = f["ip"].Text()
	}
	if host == "" || host == "?" {
		host = askedHost
	}
	health, _ := f["health"].Text()
	return nodeSpec{addr: net.JoinHostPort(host, strconv.FormatInt(port, 10)), healthy: health == "online"}, nil
}

// slotRanges reads a flat list of start and end slots.
func slotRanges(v Value) ([][2]int, error) {
	bounds, err := v.Array()
	if err != nil || len(bounds)%2 != 0 {
		return nil, fmt.Errorf("slots: want pairs of numbers, got %v", v)
	}
	var ranges [][2]int
	for i := 0; i < len(bounds); i += 2 {
		r, err := slotRange(bounds[i], bounds[i+1])
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, r)
	}
	return ranges, nil
}

func slotRange(startV, endV Value) ([2]int, error) {
	start, err1 := startV.Int64()
	end, err2 := endV.Int64()
	if err := errors.Join(err1, err2); err != nil || start < 0 || end < start || end >= slotCount {
		return [2]int{}, fmt.Errorf("slots: bad range %v-%v", startV, endV)
	}
	return [2]int{int(start), int(end)}, nil
}

// fieldsOf reads a RESP3 map, or a RESP2 flat array of keys and values.
func fieldsOf(v Value) (map[string]Value, error) {
	var pairs []Value
	if m, err := v.Map(); err == nil {
		for _, p := range m {
			pairs = append(pairs, p.Key, p.Value)
		}
	} else if pairs, err = v.Array(); err != nil || len(pairs)%2 != 0 {
		return nil, fmt.Errorf("want a map, got %v", v)
	}
	fields := make(map[string]Value, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		key, err := pairs[i].Text()
		if err != nil {
			return nil, err
		}
		fields[key] = pairs[i+1]
	}
	return fields, nil
}

// parseSlots reads CLUSTER SLOTS, for servers before Redis 7: a list of
// [start, end, master, replicas...], each node [host, port, id, ...].
func parseSlots(v Value, askedHost string) ([]shardSpec, error) {
	items, err := v.Array()
	if err != nil {
		return nil, err
	}
	byMaster := map[string]*shardSpec{}
	var order []string
	for _, item := range items {
		parts, err := item.Array()
		if err != nil || len(parts) < 3 {
			return nil, fmt.Errorf("CLUSTER SLOTS: bad entry %v", item)
		}
		r, err := slotRange(parts[0], parts[1])
		if err != nil {
			return nil, err
		}
		nodes := make([]nodeSpec, 0, len(parts)-2)
		for _, p := range parts[2:] {
			n, err := slotsNode(p, askedHost)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		}
		spec, ok := byMaster[nodes[0].addr]
		if !ok {
			spec = &shardSpec{master: nodes[0], replicas: nodes[1:]}
			byMaster[nodes[0].addr] = spec
			order = append(order, nodes[0].addr)
		}
		spec.ranges = append(spec.ranges, r)
	}
	specs := make([]shardSpec, 0, len(order))
	for _, addr := range order {
		specs = append(specs, *byMaster[addr])
	}
	if len(specs) == 0 {
		return nil, errNoSlots
	}
	return specs, nil
}

// slotsNode reads one node of CLUSTER SLOTS: [host, port, id, ...].
func slotsNode(v Value, askedHost string) (nodeSpec, error) {
	f, err := v.Array()
	if err != nil || len(f) < 2 {
		return nodeSpec{}, fmt.Errorf("CLUSTER SLOTS: bad node %v", v)
	}
	host, _ := f[0].Text()
	if host == "" || host == "?" {
		host = askedHost
	}
	port, err := f[1].Int64()
	if err != nil {
		return nodeSpec{}, fmt.Errorf("CLUSTER SLOTS: bad port %v", f[1])
	}
	return nodeSpec{addr: net.JoinHostPort(host, strconv.FormatInt(port, 10)), healthy: true}, nil
}

// hostOf returns the host part of "host:port".
func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.TrimSuffix(addr, ":")
	}
	return host
}
