package redmux

import (
	"fmt"
	"testing"

	"github.com/redmux/redmux/resp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeySlotMatchesRedis(t *testing.T) {
	// Values from CLUSTER KEYSLOT on Redis 7.
	for key, slot := range map[string]int{
		"foo": 12182, "bar": 5061, "hello": 866, "": 0,
		"{user1000}.following": 3443, "{user1000}.followers": 3443,
		"foo{}{bar}": 8363, "foo{{bar}}zap": 4015, "{bar": 4015,
	} {
		assert.Equal(t, slot, keySlot([]byte(key)), "key %q", key)
	}
	assert.Equal(t, uint16(0x31C3), crc16([]byte("123456789")), "CRC16/XMODEM check value")
}

func TestFirstKeyOfEncodedCommands(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		key   string
		keyed bool
	}{
		{[]string{"GET", "k"}, "k", true},
		{[]string{"set", "k", "v"}, "k", true},
		{[]string{"PING"}, "", false},
		{[]string{"PUBLISH", "ch", "m"}, "", false},
		{[]string{"SPUBLISH", "ch", "m"}, "ch", true},
		{[]string{"EVALSHA", "abc", "2", "k1", "k2", "a"}, "k1", true},
		{[]string{"EVAL", "return 1", "0"}, "", false},
		{[]string{"FCALL", "f", "1", "k"}, "k", true},
		{[]string{"XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"}, "s1", true},
		{[]string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "streams", "s", ">"}, "s", true},
		{[]string{"ZUNION", "2", "a", "b"}, "a", true},
		{[]string{"BLMPOP", "1", "2", "l1", "l2", "LEFT"}, "l1", true},
		{[]string{"BITOP", "AND", "dest", "a", "b"}, "dest", true},
		{[]string{"OBJECT", "ENCODING", "k"}, "k", true},
		{[]string{"XGROUP", "CREATE", "s", "g", "$"}, "s", true},
		{[]string{"DBSIZE"}, "", false},
		{[]string{"SCRIPT", "LOAD", "return 1"}, "", false},
		{[]string{"UNKNOWNCMD", "x"}, "x", true},
		{[]string{"XREADGROUP", "GROUP", "streams", "STREAMS", "STREAMS", "s", ">"}, "s", true},
		{[]string{"PFDEBUG", "GETREG", "hll"}, "hll", true},
	} {
		e, err := readCommand(resp.AppendCommandStrings(nil, tc.args...))
		require.NoError(t, err, "%v", tc.args)
		key, keyed := e.firstKey()
		assert.Equal(t, tc.keyed, keyed, "%v", tc.args)
		assert.Equal(t, tc.key, string(key), "%v", tc.args)
	}
}

func TestSplitCommandsFindsEveryCommand(t *testing.T) {
	var buf []byte
	var want []int
	for i := range 5 {
		buf = resp.AppendCommandStrings(buf, "SET", fmt.Sprint("key", i), string(make([]byte, i*100)))
		want = append(want, len(buf))
	}
	ends, err := splitCommands(buf)
	require.NoError(t, err)
	assert.Equal(t, want, ends)

	_, err = splitCommands([]byte("*2\r\n$3\r\nGET\r\n"))
	assert.ErrorIs(t, err, errNotEncodedCommand)
}

func TestParseRedirect(t *testing.T) {
	slot, addr, ok := parseRedirect("MOVED 3999 127.0.0.1:6381", nil)
	assert.True(t, ok)
	assert.Equal(t, 3999, slot)
	assert.Equal(t, "127.0.0.1:6381", addr)

	from := newClusterNode("10.0.0.5:7000", Config{}, 0)
	_, addr, ok = parseRedirect("ASK 1 :7002", from)
	assert.True(t, ok)
	assert.Equal(t, "10.0.0.5:7002", addr, "a node that does not know its address")

	_, addr, ok = parseRedirect("MOVED 3999 ::1:7001", nil)
	assert.True(t, ok)
	assert.Equal(t, "[::1]:7001", addr, "Redis writes IPv6 hosts unbracketed")
	from6 := newClusterNode("[fd00::2]:7000", Config{}, 0)
	_, addr, _ = parseRedirect("ASK 1 :7002", from6)
	assert.Equal(t, "[fd00::2]:7002", addr)

	for _, bad := range []string{"MOVED", "MOVED x 1.2.3.4:5", "MOVED 16384 1.2.3.4:5", "MOVED 1 nocolon"} {
		_, _, ok := parseRedirect(bad, nil)
		assert.False(t, ok, bad)
	}
}

// shardsReply builds a CLUSTER SHARDS reply of one shard, as RESP3 maps
// or RESP2 flat arrays.
func shardsReply(resp3 bool, slots []int64, nodes ...map[string]Value) Value {
	obj := func(fields ...any) Value {
		var pairs []resp.Pair
		var flat []Value
		for i := 0; i < len(fields); i += 2 {
			k := resp.BulkString([]byte(fields[i].(string)))
			pairs = append(pairs, resp.Pair{Key: k, Value: fields[i+1].(Value)})
			flat = append(flat, k, fields[i+1].(Value))
		}
		if resp3 {
			return resp.MapOf(pairs...)
		}
		return resp.ArrayOf(flat...)
	}
	var slotVals, nodeVals []Value
	for _, s := range slots {
		slotVals = append(slotVals, resp.Integer(s))
	}
	for _, n := range nodes {
		var fields []any
		for _, k := range []string{"id", "port", "tls-port", "ip", "endpoint", "role", "health"} {
			if v, ok := n[k]; ok {
				fields = append(fields, k, v)
			}
		}
		nodeVals = append(nodeVals, obj(fields...))
	}
	return obj("slots", resp.ArrayOf(slotVals...), "nodes", resp.ArrayOf(nodeVals...))
}

func node(ip string, port int64, role, health string) map[string]Value {
	return map[string]Value{
		"id": resp.BulkString([]byte("id-" + fmt.Sprint(port))), "port": resp.Integer(port),
		"ip": resp.BulkString([]byte(ip)), "endpoint": resp.BulkString([]byte(ip)),
		"role": resp.BulkString([]byte(role)), "health": resp.BulkString([]byte(health)),
	}
}

func TestParseShardsInBothProtocols(t *testing.T) {
	for _, resp3 := range []bool{true, false} {
		t.Run(fmt.Sprintf("resp3=%v", resp3), func(t *testing.T) {
			reply := resp.ArrayOf(
				shardsReply(resp3, []int64{0, 5460, 10000, 10001},
					node("127.0.0.1", 7003, "replica", "online"),
					node("127.0.0.1", 7000, "master", "online")),
				// After a failover: the old master failed, its replica took over.
				shardsReply(resp3, []int64{5461, 9999},
					node("127.0.0.1", 7001, "master", "failed"),
					node("127.0.0.1", 7004, "master", "online")),
				shardsReply(resp3, nil, node("127.0.0.1", 7009, "master", "online")), // no slots
			)
			specs, err := parseShards(reply, "127.0.0.1", false)
			require.NoError(t, err)
			require.Len(t, specs, 2)
			assert.Equal(t, "127.0.0.1:7000", specs[0].master.addr)
			assert.Equal(t, [][2]int{{0, 5460}, {10000, 10001}}, specs[0].ranges)
			require.Len(t, specs[0].replicas, 1)
			assert.Equal(t, "127.0.0.1:7003", specs[0].replicas[0].addr)
			assert.Equal(t, "127.0.0.1:7004", specs[1].master.addr, "the online master wins")
			require.Len(t, specs[1].replicas, 1)
			assert.False(t, specs[1].replicas[0].healthy)
		})
	}
}

func TestParseShardsUsesAskedHostForUnknownEndpoint(t *testing.T) {
	n := node("", 7000, "master", "online")
	n["endpoint"] = resp.BulkString([]byte("?"))
	specs, err := parseShards(resp.ArrayOf(shardsReply(true, []int64{0, 16383}, n)), "10.1.2.3", false)
	require.NoError(t, err)
	assert.Equal(t, "10.1.2.3:7000", specs[0].master.addr)
}

func TestParseShardsPicksTLSPort(t *testing.T) {
	n := node("127.0.0.1", 7000, "master", "online")
	n["tls-port"] = resp.Integer(17000)
	specs, err := parseShards(resp.ArrayOf(shardsReply(true, []int64{0, 16383}, n)), "", true)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:17000", specs[0].master.addr)
}

func TestParseSlotsGroupsRangesByMaster(t *testing.T) {
	nodeV := func(port int64) Value {
		return resp.ArrayOf(resp.BulkString([]byte("127.0.0.1")), resp.Integer(port), resp.BulkString([]byte("id")))
	}
	reply := resp.ArrayOf(
		resp.ArrayOf(resp.Integer(0), resp.Integer(100), nodeV(7000), nodeV(7003)),
		resp.ArrayOf(resp.Integer(101), resp.Integer(16383), nodeV(7001)),
		resp.ArrayOf(resp.Integer(200), resp.Integer(200), nodeV(7000), nodeV(7003)),
	)
	specs, err := parseSlots(reply, "")
	require.NoError(t, err)
	require.Len(t, specs, 2)
	assert.Equal(t, [][2]int{{0, 100}, {200, 200}}, specs[0].ranges)
	assert.Equal(t, "127.0.0.1:7003", specs[0].replicas[0].addr)
}

func TestParseShardsRejectsAClusterWithoutSlots(t *testing.T) {
	_, err := parseShards(resp.ArrayOf(), "", false)
	assert.ErrorIs(t, err, errNoSlots)
}

func TestClusterConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg   ClusterConfig
		field string
	}{
		{ClusterConfig{}, "Addrs"},
		{ClusterConfig{Addrs: []string{""}}, "Addrs"},
		{ClusterConfig{Addrs: []string{"a:1"}, Node: Config{DB: 1}}, "Node.DB"},
		{ClusterConfig{Addrs: []string{"a:1"}, Node: Config{Network: "unix"}}, "Node.Network"},
		{ClusterConfig{Addrs: []string{"a:1"}, Node: Config{Managers: -1}}, "Node.Managers"},
		{ClusterConfig{Addrs: []string{"a:1"}, RetryWait: -1}, "RetryWait"},
		{ClusterConfig{Addrs: []string{"a:1"}, MaxRedirects: -1}, "MaxRedirects"},
	} {
		var ce *ConfigError
		require.ErrorAs(t, tc.cfg.validate(), &ce)
		assert.Equal(t, tc.field, ce.Field)
	}
}
