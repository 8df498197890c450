package redmux

// readOnlyCommands are the commands a read-only request may hold: those
// Redis flags "readonly" (COMMAND INFO, Redis 7), plus a few without keys
// that have no effect (PING, ECHO, TIME, INFO, LASTSAVE). A request made
// only of them may be sent once more when its connection fails after it
// was sent; see Config.DisableReadRetry. OBJECT and XINFO are read-only in
// every subcommand. A command missing here counts as a write, which is
// never sent twice. TestReadOnlyTableMatchesServerFlags checks the table
// against a real server.
var readOnlyCommands = map[string]struct{}{
	"BITCOUNT": {}, "BITFIELD_RO": {}, "BITPOS": {}, "DBSIZE": {}, "DUMP": {},
	"EVAL_RO": {}, "EVALSHA_RO": {}, "EXISTS": {}, "EXPIRETIME": {}, "FCALL_RO": {},
	"GEODIST": {}, "GEOHASH": {}, "GEOPOS": {}, "GEORADIUS_RO": {}, "GEORADIUSBYMEMBER_RO": {},
	"GEOSEARCH": {}, "GET": {}, "GETBIT": {}, "GETRANGE": {}, "HEXISTS": {}, "HGET": {},
	"HGETALL": {}, "HKEYS": {}, "HLEN": {}, "HMGET": {}, "HRANDFIELD": {}, "HSCAN": {},
	"HSTRLEN": {}, "HVALS": {}, "KEYS": {}, "LCS": {}, "LINDEX": {}, "LLEN": {},
	"LOLWUT": {}, "LPOS": {}, "LRANGE": {}, "MGET": {}, "PEXPIRETIME": {}, "PFCOUNT": {},
	"PTTL": {}, "RANDOMKEY": {}, "SCAN": {}, "SCARD": {}, "SDIFF": {}, "SINTER": {},
	"SINTERCARD": {}, "SISMEMBER": {}, "SMEMBERS": {}, "SMISMEMBER": {}, "SORT_RO": {},
	"SRANDMEMBER": {}, "SSCAN": {}, "STRLEN": {}, "SUBSTR": {}, "SUNION": {}, "TOUCH": {},
	"TTL": {}, "TYPE": {}, "XLEN": {}, "XPENDING": {}, "XRANGE": {}, "XREAD": {},
	"XREVRANGE": {}, "ZCARD": {}, "ZCOUNT": {}, "ZDIFF": {}, "ZINTER": {}, "ZINTERCARD": {},
	"ZLEXCOUNT": {}, "ZMSCORE": {}, "ZRANDMEMBER": {}, "ZRANGE": {}, "ZRANGEBYLEX": {},
	"ZRANGEBYSCORE": {}, "ZRANK": {}, "ZREVRANGE": {}, "ZREVRANGEBYLEX": {},
	"ZREVRANGEBYSCORE": {}, "ZREVRANK": {}, "ZSCAN": {}, "ZSCORE": {}, "ZUNION": {},
	"HTTL": {}, "HPTTL": {}, "HEXPIRETIME": {}, "HPEXPIRETIME": {}, // Redis 7.4
	"OBJECT": {}, "XINFO": {},
	"PING": {}, "ECHO": {}, "TIME": {}, "INFO": {}, "LASTSAVE": {},
}

// isReadOnly reports whether the command called name only reads. It does
// not allocate.
func isReadOnly(name string) bool {
	var upper [commandNameMax]byte
	n, ok := upperName(&upper, name)
	if !ok {
		return false
	}
	_, ro := readOnlyCommands[string(upper[:n])]
	return ro
}
