package redmux

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
)

// Script is a Lua script run by its SHA1 digest: EVALSHA first, and EVAL
// with the source only when the server does not have it cached (after a
// restart or SCRIPT FLUSH). A Script is safe for concurrent use.
type Script struct {
	src  string
	hash string
}

// NewScript returns a Script for the Lua source src.
func NewScript(src string) *Script {
	sum := sha1.Sum([]byte(src))
	return &Script{src: src, hash: hex.EncodeToString(sum[:])}
}

// Hash returns the script's SHA1 digest, as EVALSHA takes it.
func (s *Script) Hash() string { return s.hash }

// Run runs the script on d (a Client, a DedicatedConn or a Tx) with keys
// and args (args follow Do's argument rules): EVALSHA, then EVAL once if
// the server answers NOSCRIPT. The script's own errors are *RedisError.
func (s *Script) Run(ctx context.Context, d Doer, keys []string, args ...any) (Value, error) {
	v, err := d.Do(ctx, "EVALSHA", s.evalArgs(s.hash, keys, args)...)
	if isNoScript(err) {
		return d.Do(ctx, "EVAL", s.evalArgs(s.src, keys, args)...)
	}
	return v, err
}

// Load caches the script on the server (SCRIPT LOAD), so that EVALSHA can
// be pipelined: a Batch has no NOSCRIPT fallback.
func (s *Script) Load(ctx context.Context, d Doer) error {
	_, err := d.Do(ctx, "SCRIPT", "LOAD", s.src)
	return err
}

// Queue queues EVALSHA of the script in b; load it first (Load), since a
// Batch cannot fall back to EVAL.
func (s *Script) Queue(b *Batch, keys []string, args ...any) *Reply[Value] {
	return b.Do("EVALSHA", s.evalArgs(s.hash, keys, args)...)
}

// evalArgs are EVAL's or EVALSHA's arguments: script or digest, the number
// of keys, the keys, the arguments.
func (s *Script) evalArgs(scriptOrHash string, keys []string, args []any) []any {
	all := make([]any, 0, 2+len(keys)+len(args))
	all = append(all, scriptOrHash, len(keys))
	for _, k := range keys {
		all = append(all, k)
	}
	return append(all, args...)
}

func isNoScript(err error) bool {
	var rerr *RedisError
	return errors.As(err, &rerr) && rerr.Prefix == "NOSCRIPT"
}
