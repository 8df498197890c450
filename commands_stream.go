package redmux

import (
	"context"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// Stream commands. Type conventions: keys, entry IDs, field names, group
// and consumer names are strings; field values are stored data and so are
// []byte, in arguments and in results. Counts are int64 and idle times
// time.Duration (sent in milliseconds).

// XEntry is one stream entry: its ID and its field/value pairs. Values is
// nil for an entry that was deleted while still pending in a group (XREADGROUP
// of the history may report those).
type XEntry struct {
	ID     string
	Values map[string][]byte
}

// XStream is the entries read from one stream by XRead or XReadGroup.
type XStream struct {
	Stream  string
	Entries []XEntry
}

// XStreamID names a stream to read and the ID to read after: "0" for the
// whole stream, "$" for new entries only (XREAD), ">" for entries never
// delivered to the group (XREADGROUP).
type XStreamID struct {
	Key string
	ID  string
}

// XAddOptions are XADD's options. The zero value appends with an ID the
// server picks, creates the stream if needed and does not trim.
type XAddOptions struct {
	// ID is the new entry's ID; "" means "*", an ID the server picks.
	ID string
	// MaxLen, when positive, trims the stream to that many entries
	// (MAXLEN). Mutually exclusive with MinID.
	MaxLen int64
	// MinID, when set, evicts entries with a lower ID (MINID).
	MinID string
	// Approx lets the server trim lazily (~), which is cheaper.
	Approx bool
	// NoMkStream refuses to create a missing stream (NOMKSTREAM): XAdd
	// then adds nothing and returns "".
	NoMkStream bool
}

// XAdd appends an entry with the given field values to the stream at key
// and returns its ID; "" when NoMkStream is set and the stream does not
// exist. A map does not keep the order of its fields.
func (c *commands) XAdd(ctx context.Context, key string, opts XAddOptions, values map[string][]byte) (string, error) {
	return run(ctx, c.r, xaddCmd(key, opts, values))
}

// XAdd queues XADD; see Client.XAdd.
func (b *Batch) XAdd(key string, opts XAddOptions, values map[string][]byte) *Reply[string] {
	return add(b, xaddCmd(key, opts, values))
}

func xaddCmd(key string, opts XAddOptions, values map[string][]byte) cmd[string] {
	nargs := 2 + 2*len(values)
	if opts.NoMkStream {
		nargs++
	}
	nargs += trimArgs(opts.MaxLen, opts.MinID, opts.Approx)
	req := command("XADD", nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	if opts.NoMkStream {
		req.Cmd = resp.AppendBulkString(req.Cmd, "NOMKSTREAM")
	}
	appendTrim(req, opts.MaxLen, opts.MinID, opts.Approx)
	id := opts.ID
	if id == "" {
		id = "*"
	}
	req.Cmd = resp.AppendBulkString(req.Cmd, id)
	for f, v := range values {
		req.Cmd = resp.AppendBulkString(req.Cmd, f)
		req.Cmd = resp.AppendBulk(req.Cmd, v)
	}
	return cmd[string]{req, decodeXIDOrEmpty}
}

// trimArgs counts the arguments appendTrim adds for XADD (where a MaxLen
// of 0 means no trimming).
func trimArgs(maxLen int64, minID string, approx bool) int {
	if maxLen <= 0 && minID == "" {
		return 0
	}
	n := 2
	if maxLen > 0 && minID != "" {
		n += 2
	}
	if approx {
		n++
		if maxLen > 0 && minID != "" {
			n++
		}
	}
	return n
}

// appendTrim encodes MAXLEN and/or MINID (the server refuses both).
func appendTrim(req *manager.Request, maxLen int64, minID string, approx bool) {
	if maxLen > 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "MAXLEN")
		if approx {
			req.Cmd = resp.AppendBulkString(req.Cmd, "~")
		}
		req.Cmd = resp.AppendBulkInt(req.Cmd, maxLen)
	}
	if minID != "" {
		req.Cmd = resp.AppendBulkString(req.Cmd, "MINID")
		if approx {
			req.Cmd = resp.AppendBulkString(req.Cmd, "~")
		}
		req.Cmd = resp.AppendBulkString(req.Cmd, minID)
	}
}

// decodeXIDOrEmpty is decodeText with a null reply read as "".
func decodeXIDOrEmpty(v Value) (string, error) {
	if v.IsNull() {
		return "", nil
	}
	return v.Text()
}

// XLen returns the number of entries of the stream at key (0 if missing).
func (c *commands) XLen(ctx context.Context, key string) (int64, error) {
	return run(ctx, c.r, keyIntCmd("XLEN", key))
}

// XLen queues XLEN; see Client.XLen.
func (b *Batch) XLen(key string) *Reply[int64] { return add(b, keyIntCmd("XLEN", key)) }

// XRange returns the entries of the stream at key with IDs from start to
// end inclusive ("-" and "+" for the ends; "(" before an ID excludes it),
// oldest first, at most count of them (0: no limit). A missing key gives
// an empty result.
func (c *commands) XRange(ctx context.Context, key, start, end string, count int64) ([]XEntry, error) {
	return run(ctx, c.r, xrangeCmd("XRANGE", key, start, end, count))
}

// XRange queues XRANGE; see Client.XRange.
func (b *Batch) XRange(key, start, end string, count int64) *Reply[[]XEntry] {
	return add(b, xrangeCmd("XRANGE", key, start, end, count))
}

// XRevRange is XRange newest first; as in XREVRANGE, the higher bound
// comes first: XRevRange(ctx, key, "+", "-", 10) reads the last ten.
func (c *commands) XRevRange(ctx context.Context, key, end, start string, count int64) ([]XEntry, error) {
	return run(ctx, c.r, xrangeCmd("XREVRANGE", key, end, start, count))
}

// XRevRange queues XREVRANGE; see Client.XRevRange.
func (b *Batch) XRevRange(key, end, start string, count int64) *Reply[[]XEntry] {
	return add(b, xrangeCmd("XREVRANGE", key, end, start, count))
}

func xrangeCmd(name, key, from, to string, count int64) cmd[[]XEntry] {
	nargs := 3
	if count > 0 {
		nargs += 2
	}
	req := command(name, nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, from)
	req.Cmd = resp.AppendBulkString(req.Cmd, to)
	if count > 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "COUNT")
		req.Cmd = resp.AppendBulkInt(req.Cmd, count)
	}
	return cmd[[]XEntry]{req, decodeXEntries}
}

// decodeXEntries decodes an array of entries, each [id, [f, v, f, v, ...]]
// in both protocols. A null entry (RESP2 XCLAIM of a deleted ID before
// Redis 7) is skipped.
func decodeXEntries(v Value) ([]XEntry, error) {
	if v.IsNull() {
		return nil, nil
	}
	elems, err := v.Array()
	if err != nil {
		return nil, err
	}
	out := make([]XEntry, 0, len(elems))
	for _, e := range elems {
		if e.IsNull() {
			continue
		}
		entry, err := decodeXEntry(e)
		if err != nil {
			return nil, err
		}
		out = append(out, entry)
	}
	return out, nil
}

func decodeXEntry(v Value) (XEntry, error) {
	parts, err := v.Array()
	if err != nil {
		return XEntry{}, err
	}
	if len(parts) != 2 {
		return XEntry{}, &resp.TypeError{Accessor: "XEntry", Want: "[id, fields]", Got: v.Type(), Index: -1}
	}
	id, err := parts[0].Text()
	if err != nil {
		return XEntry{}, err
	}
	entry := XEntry{ID: id}
	if parts[1].IsNull() {
		return entry, nil
	}
	// Map reads a RESP2 flat array of field, value, ... as pairs too.
	fields, err := parts[1].Map()
	if err != nil {
		return XEntry{}, err
	}
	entry.Values = make(map[string][]byte, len(fields))
	for _, p := range fields {
		f, err := p.Key.Text()
		if err != nil {
			return XEntry{}, err
		}
		if entry.Values[f], err = p.Value.Bytes(); err != nil {
			return XEntry{}, err
		}
	}
	return entry, nil
}

// decodeXStreams decodes XREAD and XREADGROUP: a RESP3 map of stream name
// to entries, or a RESP2 array of [name, entries]; null (nothing read, the
// BLOCK timed out) is a nil result.
func decodeXStreams(v Value) ([]XStream, error) {
	if v.IsNull() {
		return nil, nil
	}
	if v.Type() == resp.TypeMap {
		pairs, err := v.Map()
		if err != nil {
			return nil, err
		}
		out := make([]XStream, len(pairs))
		for i, p := range pairs {
			if out[i], err = decodeXStream(p.Key, p.Value); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	elems, err := v.Array()
	if err != nil {
		return nil, err
	}
	out := make([]XStream, len(elems))
	for i, e := range elems {
		kv, err := e.Array()
		if err != nil {
			return nil, err
		}
		if len(kv) != 2 {
			return nil, &resp.TypeError{Accessor: "XStream", Want: "[name, entries]", Got: e.Type(), Index: i}
		}
		if out[i], err = decodeXStream(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeXStream(name, entries Value) (XStream, error) {
	s, err := name.Text()
	if err != nil {
		return XStream{}, err
	}
	es, err := decodeXEntries(entries)
	return XStream{Stream: s, Entries: es}, err
}

// XReadOptions are XREAD's options.
type XReadOptions struct {
	// Streams are the streams to read and the ID to read after in each.
	Streams []XStreamID
	// Count, when positive, caps the entries returned per stream.
	Count int64
	// Block, when positive, waits up to Block (millisecond precision) for
	// an entry when there is none (BLOCK); 0 does not block. A blocking
	// read runs on a dedicated connection of its own, never on the shared
	// pipeline.
	Block time.Duration
}

// XRead reads entries after the given IDs from one or more streams. When
// nothing is read (no entry, or Block elapsed) it returns nil and a nil
// error. XRead has no Batch form: it may block.
func (c *commands) XRead(ctx context.Context, opts XReadOptions) ([]XStream, error) {
	cmd := xreadCmd("XREAD", "", "", opts, false)
	if opts.Block > 0 {
		return runBlocking(ctx, c.r, cmd, opts.Block)
	}
	return run(ctx, c.r, cmd)
}

// XReadGroupOptions are XREADGROUP's options: those of XREAD, and NoAck.
type XReadGroupOptions struct {
	XReadOptions
	// NoAck delivers without adding the entries to the pending list
	// (NOACK): they need no XAck.
	NoAck bool
}

// XReadGroup reads entries for consumer of group: with ID ">" the entries
// never delivered to the group, otherwise the consumer's pending entries
// after that ID. Nothing read is a nil result with a nil error. It has no
// Batch form: it may block (see XReadOptions.Block).
func (c *commands) XReadGroup(ctx context.Context, group, consumer string, opts XReadGroupOptions) ([]XStream, error) {
	cmd := xreadCmd("XREADGROUP", group, consumer, opts.XReadOptions, opts.NoAck)
	if opts.Block > 0 {
		return runBlocking(ctx, c.r, cmd, opts.Block)
	}
	return run(ctx, c.r, cmd)
}

func xreadCmd(name, group, consumer string, opts XReadOptions, noAck bool) cmd[[]XStream] {
	nargs := 1 + 2*len(opts.Streams)
	if name == "XREADGROUP" {
		nargs += 3
	}
	if opts.Count > 0 {
		nargs += 2
	}
	if opts.Block > 0 {
		nargs += 2
	}
	if noAck {
		nargs++
	}
	req := command(name, nargs)
	if name == "XREADGROUP" {
		req.Cmd = resp.AppendBulkString(req.Cmd, "GROUP")
		req.Cmd = resp.AppendBulkString(req.Cmd, group)
		req.Cmd = resp.AppendBulkString(req.Cmd, consumer)
	}
	if opts.Count > 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "COUNT")
		req.Cmd = resp.AppendBulkInt(req.Cmd, opts.Count)
	}
	if opts.Block > 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "BLOCK")
		req.Cmd = resp.AppendBulkInt(req.Cmd, ttlMillis(opts.Block))
	}
	if noAck {
		req.Cmd = resp.AppendBulkString(req.Cmd, "NOACK")
	}
	req.Cmd = resp.AppendBulkString(req.Cmd, "STREAMS")
	for _, s := range opts.Streams {
		req.Cmd = resp.AppendBulkString(req.Cmd, s.Key)
	}
	for _, s := range opts.Streams {
		req.Cmd = resp.AppendBulkString(req.Cmd, s.ID)
	}
	return cmd[[]XStream]{req, decodeXStreams}
}

// XAck acknowledges ids in group's pending list and returns how many were
// pending.
func (c *commands) XAck(ctx context.Context, key, group string, ids ...string) (int64, error) {
	return run(ctx, c.r, xackCmd(key, group, ids))
}

// XAck queues XACK; see Client.XAck.
func (b *Batch) XAck(key, group string, ids ...string) *Reply[int64] {
	return add(b, xackCmd(key, group, ids))
}

func xackCmd(key, group string, ids []string) cmd[int64] {
	req := command("XACK", 2+len(ids))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, group)
	for _, id := range ids {
		req.Cmd = resp.AppendBulkString(req.Cmd, id)
	}
	return cmd[int64]{req, decodeInt}
}

// XGroupCreate creates group on the stream at key, delivering entries
// after start ("$": only new entries, "0": the whole stream). mkStream
// creates a missing stream (MKSTREAM); without it a missing stream is the
// server's error, as is a group that exists already (BUSYGROUP).
func (c *commands) XGroupCreate(ctx context.Context, key, group, start string, mkStream bool) error {
	_, err := run(ctx, c.r, xgroupCreateCmd(key, group, start, mkStream))
	return err
}

// XGroupCreate queues XGROUP CREATE; see Client.XGroupCreate.
func (b *Batch) XGroupCreate(key, group, start string, mkStream bool) *Reply[struct{}] {
	return add(b, xgroupCreateCmd(key, group, start, mkStream))
}

func xgroupCreateCmd(key, group, start string, mkStream bool) cmd[struct{}] {
	nargs := 4
	if mkStream {
		nargs++
	}
	req := command("XGROUP", nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, "CREATE")
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, group)
	req.Cmd = resp.AppendBulkString(req.Cmd, start)
	if mkStream {
		req.Cmd = resp.AppendBulkString(req.Cmd, "MKSTREAM")
	}
	return cmd[struct{}]{req, decodeNothing}
}

// XPendingSummary is the summary form of XPENDING: how many entries are
// pending in the group, the lowest and highest pending IDs ("" when none)
// and how many each consumer holds.
type XPendingSummary struct {
	Count        int64
	Lower, Upper string
	Consumers    map[string]int64
}

// XPending returns the summary of group's pending entries. A missing key
// or group is the server's error.
func (c *commands) XPending(ctx context.Context, key, group string) (XPendingSummary, error) {
	return run(ctx, c.r, xpendingCmd(key, group))
}

// XPending queues XPENDING; see Client.XPending.
func (b *Batch) XPending(key, group string) *Reply[XPendingSummary] {
	return add(b, xpendingCmd(key, group))
}

func xpendingCmd(key, group string) cmd[XPendingSummary] {
	req := command("XPENDING", 2)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, group)
	return cmd[XPendingSummary]{req, decodeXPendingSummary}
}

// decodeXPendingSummary: [count, lower, upper, [[consumer, count], ...]],
// with nulls for lower, upper and the consumers when nothing is pending;
// the consumers' counts are strings in both protocols.
func decodeXPendingSummary(v Value) (XPendingSummary, error) {
	parts, err := v.Array()
	if err != nil {
		return XPendingSummary{}, err
	}
	if len(parts) != 4 {
		return XPendingSummary{}, &resp.TypeError{Accessor: "XPendingSummary", Want: "4 elements", Got: v.Type(), Index: -1}
	}
	var s XPendingSummary
	if s.Count, err = parts[0].Int64(); err != nil {
		return XPendingSummary{}, err
	}
	if s.Lower, err = decodeXIDOrEmpty(parts[1]); err != nil {
		return XPendingSummary{}, err
	}
	if s.Upper, err = decodeXIDOrEmpty(parts[2]); err != nil {
		return XPendingSummary{}, err
	}
	if parts[3].IsNull() {
		return s, nil
	}
	consumers, err := parts[3].Array()
	if err != nil {
		return XPendingSummary{}, err
	}
	s.Consumers = make(map[string]int64, len(consumers))
	for i, c := range consumers {
		kv, err := c.Array()
		if err != nil {
			return XPendingSummary{}, err
		}
		if len(kv) != 2 {
			return XPendingSummary{}, &resp.TypeError{Accessor: "XPendingSummary", Want: "[consumer, count]", Got: c.Type(), Index: i}
		}
		name, err := kv[0].Text()
		if err != nil {
			return XPendingSummary{}, err
		}
		if s.Consumers[name], err = kv[1].Int64(); err != nil {
			return XPendingSummary{}, err
		}
	}
	return s, nil
}

// XClaim gives consumer the ownership of the pending entries ids that have
// been idle at least minIdle, and returns those entries. IDs that are not
// pending or not idle long enough are left out; so are deleted entries.
func (c *commands) XClaim(ctx context.Context, key, group, consumer string, minIdle time.Duration, ids ...string) ([]XEntry, error) {
	return run(ctx, c.r, xclaimCmd(key, group, consumer, minIdle, ids))
}

// XClaim queues XCLAIM; see Client.XClaim.
func (b *Batch) XClaim(key, group, consumer string, minIdle time.Duration, ids ...string) *Reply[[]XEntry] {
	return add(b, xclaimCmd(key, group, consumer, minIdle, ids))
}

func xclaimCmd(key, group, consumer string, minIdle time.Duration, ids []string) cmd[[]XEntry] {
	req := command("XCLAIM", 4+len(ids))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, group)
	req.Cmd = resp.AppendBulkString(req.Cmd, consumer)
	req.Cmd = resp.AppendBulkInt(req.Cmd, minIdle.Milliseconds())
	for _, id := range ids {
		req.Cmd = resp.AppendBulkString(req.Cmd, id)
	}
	return cmd[[]XEntry]{req, decodeXEntries}
}

// XAutoClaimResult is what XAUTOCLAIM answers: the ID to continue the scan
// from ("0-0" when it is complete) and the claimed entries. The IDs Redis 7
// reports as deleted (and dropped from the pending list) are left out.
type XAutoClaimResult struct {
	Next    string
	Entries []XEntry
}

// XAutoClaim claims for consumer up to count (0: the server's default,
// 100) pending entries of group idle at least minIdle, scanning from
// start ("0-0" for the beginning). It returns where to continue the scan
// ("0-0" when done) and the claimed entries.
func (c *commands) XAutoClaim(ctx context.Context, key, group, consumer string, minIdle time.Duration, start string, count int64) (next string, entries []XEntry, err error) {
	r, err := run(ctx, c.r, xautoclaimCmd(key, group, consumer, minIdle, start, count))
	return r.Next, r.Entries, err
}

// XAutoClaim queues XAUTOCLAIM; see Client.XAutoClaim.
func (b *Batch) XAutoClaim(key, group, consumer string, minIdle time.Duration, start string, count int64) *Reply[XAutoClaimResult] {
	return add(b, xautoclaimCmd(key, group, consumer, minIdle, start, count))
}

func xautoclaimCmd(key, group, consumer string, minIdle time.Duration, start string, count int64) cmd[XAutoClaimResult] {
	nargs := 5
	if count > 0 {
		nargs += 2
	}
	req := command("XAUTOCLAIM", nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, group)
	req.Cmd = resp.AppendBulkString(req.Cmd, consumer)
	req.Cmd = resp.AppendBulkInt(req.Cmd, minIdle.Milliseconds())
	req.Cmd = resp.AppendBulkString(req.Cmd, start)
	if count > 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "COUNT")
		req.Cmd = resp.AppendBulkInt(req.Cmd, count)
	}
	return cmd[XAutoClaimResult]{req, decodeXAutoClaim}
}

// decodeXAutoClaim: [next, entries] (Redis 6.2) or [next, entries,
// deleted IDs] (Redis 7).
func decodeXAutoClaim(v Value) (XAutoClaimResult, error) {
	parts, err := v.Array()
	if err != nil {
		return XAutoClaimResult{}, err
	}
	if len(parts) < 2 {
		return XAutoClaimResult{}, &resp.TypeError{Accessor: "XAutoClaim", Want: "[next, entries, ...]", Got: v.Type(), Index: -1}
	}
	var r XAutoClaimResult
	if r.Next, err = parts[0].Text(); err != nil {
		return XAutoClaimResult{}, err
	}
	if r.Entries, err = decodeXEntries(parts[1]); err != nil {
		return XAutoClaimResult{}, err
	}
	return r, nil
}

// XTrimOptions say how XTrim trims: to MaxLen entries (MAXLEN), or, when
// MinID is set, evicting entries below MinID (MINID). Beware: the zero
// value trims to zero entries, emptying the stream.
type XTrimOptions struct {
	MaxLen int64
	MinID  string
	// Approx lets the server trim lazily (~), which is cheaper.
	Approx bool
}

// XTrim trims the stream at key and returns how many entries it removed.
func (c *commands) XTrim(ctx context.Context, key string, opts XTrimOptions) (int64, error) {
	return run(ctx, c.r, xtrimCmd(key, opts))
}

// XTrim queues XTRIM; see Client.XTrim.
func (b *Batch) XTrim(key string, opts XTrimOptions) *Reply[int64] {
	return add(b, xtrimCmd(key, opts))
}

func xtrimCmd(key string, opts XTrimOptions) cmd[int64] {
	nargs := 3
	if opts.Approx {
		nargs++
	}
	req := command("XTRIM", nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	if opts.MinID != "" {
		req.Cmd = resp.AppendBulkString(req.Cmd, "MINID")
	} else {
		req.Cmd = resp.AppendBulkString(req.Cmd, "MAXLEN")
	}
	if opts.Approx {
		req.Cmd = resp.AppendBulkString(req.Cmd, "~")
	}
	if opts.MinID != "" {
		req.Cmd = resp.AppendBulkString(req.Cmd, opts.MinID)
	} else {
		req.Cmd = resp.AppendBulkInt(req.Cmd, opts.MaxLen)
	}
	return cmd[int64]{req, decodeInt}
}

// XDel deletes the entries ids from the stream at key and returns how many
// existed.
func (c *commands) XDel(ctx context.Context, key string, ids ...string) (int64, error) {
	return run(ctx, c.r, xdelCmd(key, ids))
}

// XDel queues XDEL; see Client.XDel.
func (b *Batch) XDel(key string, ids ...string) *Reply[int64] { return add(b, xdelCmd(key, ids)) }

func xdelCmd(key string, ids []string) cmd[int64] {
	req := command("XDEL", 1+len(ids))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	for _, id := range ids {
		req.Cmd = resp.AppendBulkString(req.Cmd, id)
	}
	return cmd[int64]{req, decodeInt}
}
