package redmux

import (
	"context"
	"iter"
	"strconv"
)

// Scan iterates over the keys matching match ("" for every key), asking the
// server for about count keys per round trip (0 for the server's default),
// with SCAN. As with SCAN, a key present for the whole scan is yielded at
// least once, possibly more; keys added or removed meanwhile may or may
// not be. Breaking out of the loop stops the scan; an error (including
// ctx's) is yielded once and ends it.
//
//	for key, err := range c.Scan(ctx, "user:*", 100) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(key)
//	}
func (c *Client) Scan(ctx context.Context, match string, count int64) iter.Seq2[string, error] {
	return c.ScanType(ctx, match, count, "")
}

// ScanType is Scan restricted to keys of one type ("string", "list",
// "set", "zset", "hash", "stream"; "" for every type).
func (c *Client) ScanType(ctx context.Context, match string, count int64, keyType string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		scanPages(ctx, c, "SCAN", nil, match, count, keyType, keyPages(yield), func(err error) { yield("", err) })
	}
}

// keyPages yields the keys of each page of SCAN or SSCAN.
func keyPages(yield func(string, error) bool) func([]Value) bool {
	return func(page []Value) bool {
		for _, v := range page {
			if !yield(text(v), nil) {
				return false
			}
		}
		return true
	}
}

// HashField is one field of a hash and its value, as HScan yields them.
type HashField struct {
	Field string
	Value []byte
}

// HScan iterates over the fields of the hash at key matching match, with
// HSCAN, under Scan's rules.
func (c *Client) HScan(ctx context.Context, key, match string, count int64) iter.Seq2[HashField, error] {
	return hscan(ctx, c, key, match, count)
}

func hscan(ctx context.Context, d Doer, key, match string, count int64) iter.Seq2[HashField, error] {
	return func(yield func(HashField, error) bool) {
		scanPages(ctx, d, "HSCAN", &key, match, count, "", func(page []Value) bool {
			for i := 0; i+1 < len(page); i += 2 {
				if !yield(HashField{Field: text(page[i]), Value: payload(page[i+1])}, nil) {
					return false
				}
			}
			return true
		}, func(err error) { yield(HashField{}, err) })
	}
}

// SScan iterates over the members of the set at key matching match, with
// SSCAN, under Scan's rules.
func (c *Client) SScan(ctx context.Context, key, match string, count int64) iter.Seq2[string, error] {
	return sscan(ctx, c, key, match, count)
}

func sscan(ctx context.Context, d Doer, key, match string, count int64) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		scanPages(ctx, d, "SSCAN", &key, match, count, "", keyPages(yield), func(err error) { yield("", err) })
	}
}

// ZScan iterates over the members of the sorted set at key matching match,
// with their scores, with ZSCAN, under Scan's rules.
func (c *Client) ZScan(ctx context.Context, key, match string, count int64) iter.Seq2[Z, error] {
	return zscan(ctx, c, key, match, count)
}

func zscan(ctx context.Context, d Doer, key, match string, count int64) iter.Seq2[Z, error] {
	return func(yield func(Z, error) bool) {
		scanPages(ctx, d, "ZSCAN", &key, match, count, "", func(page []Value) bool {
			for i := 0; i+1 < len(page); i += 2 {
				score, err := page[i+1].Float64()
				if err != nil {
					yield(Z{}, err)
					return false
				}
				if !yield(Z{Member: text(page[i]), Score: score}, nil) {
					return false
				}
			}
			return true
		}, func(err error) { yield(Z{}, err) })
	}
}

// scanPages runs a SCAN-family command from cursor 0 until the server
// returns cursor 0 again, handing each page of elements to page; it stops
// when page returns false, and reports the first error to fail.
// key is nil for SCAN, which takes none (an empty key is a valid key).
func scanPages(ctx context.Context, d Doer, name string, key *string, match string, count int64, keyType string,
	page func([]Value) bool, fail func(error)) {
	cursor := "0"
	for {
		if err := ctx.Err(); err != nil {
			fail(err)
			return
		}
		args := make([]any, 0, 8)
		if key != nil {
			args = append(args, *key)
		}
		args = append(args, cursor)
		if match != "" {
			args = append(args, "MATCH", match)
		}
		if count > 0 {
			args = append(args, "COUNT", count)
		}
		if keyType != "" {
			args = append(args, "TYPE", keyType)
		}
		v, err := d.Do(ctx, name, args...)
		if err != nil {
			fail(err)
			return
		}
		next, elems, err := scanReply(v)
		if err != nil {
			fail(err)
			return
		}
		if !page(elems) || next == "0" {
			return
		}
		cursor = next
	}
}

// scanReply splits a SCAN reply into the next cursor and the elements.
func scanReply(v Value) (string, []Value, error) {
	parts, err := v.Array()
	if err != nil {
		return "", nil, err
	}
	if len(parts) != 2 {
		return "", nil, &TypeError{Accessor: "Scan", Want: "[cursor, elements]", Got: v.Type(), Index: -1}
	}
	cursor, err := parts[0].Text()
	if err != nil {
		return "", nil, err
	}
	if _, err := strconv.ParseUint(cursor, 10, 64); err != nil {
		return "", nil, &TypeError{Accessor: "Scan", Want: "a cursor", Got: parts[0].Type(), Index: 0, Cause: err}
	}
	elems, err := parts[1].Array()
	return cursor, elems, err
}
