package main

import (
	"bytes"
	"hash/crc32"
	"strconv"
)

// keyPrefix names every key the benchmark writes: keyPrefix + index.
const keyPrefix = "redmux-bench:"

// A self-verifying value is laid out as
//
//	key '|' version '|' filler checksum
//
// where version is 16 hex digits (unique per SET), filler is random bytes
// padding the value to the requested size, and checksum is 8 hex digits of
// the CRC-32C of everything before it. A GET reply can thus be checked on
// its own: a valid checksum with another key inside is a reply that belongs
// to another request; a bad checksum, layout or size is a corrupt reply.
const (
	versionDigits  = 16
	checksumDigits = 8
	separator      = '|'
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// keyName returns the name of key number i.
func keyName(i int) string { return keyPrefix + strconv.Itoa(i) }

// valueOverhead is how many bytes of a value for key are not filler.
func valueOverhead(key string) int {
	return len(key) + 1 + versionDigits + 1 + checksumDigits
}

// minValueSize is the smallest value size that fits the longest of keys
// keys.
func minValueSize(keys int) int { return valueOverhead(keyName(keys - 1)) }

// encodeValue writes into dst[:0] the value of exactly size bytes for key
// at version, taking its filler from the start of filler, and returns it.
// size must be at least valueOverhead(key) and filler at least that long.
func encodeValue(dst []byte, key string, version uint64, filler []byte, size int) []byte {
	dst = append(dst[:0], key...)
	dst = append(dst, separator)
	dst = appendHex(dst, version, versionDigits)
	dst = append(dst, separator)
	dst = append(dst, filler[:size-valueOverhead(key)]...)
	return appendHex(dst, uint64(crc32.Checksum(dst, crcTable)), checksumDigits)
}

// appendHex appends v as exactly digits lower-case hex digits.
func appendHex(dst []byte, v uint64, digits int) []byte {
	const hex = "0123456789abcdef"
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		dst = append(dst, hex[(v>>shift)&0xf])
	}
	return dst
}

// verdict is the outcome of checking a GET reply against its key.
type verdict int

const (
	// valueOK: the value was written for this key, intact.
	valueOK verdict = iota
	// valueWrongKey: an intact value written for another key, the sign of
	// a reply delivered to the wrong caller.
	valueWrongKey
	// valueCorrupt: the checksum, layout or size is wrong.
	valueCorrupt
)

// checkValue checks that v is an intact value of size bytes written for
// key. For valueWrongKey it also returns the key the value belongs to.
func checkValue(key string, v []byte, size int) (verdict, string) {
	if len(v) < checksumDigits {
		return valueCorrupt, ""
	}
	body, sum := v[:len(v)-checksumDigits], v[len(v)-checksumDigits:]
	var want [checksumDigits]byte
	if !bytes.Equal(sum, appendHex(want[:0], uint64(crc32.Checksum(body, crcTable)), checksumDigits)) {
		return valueCorrupt, ""
	}
	owner, _, ok := bytes.Cut(body, []byte{separator})
	if !ok {
		return valueCorrupt, ""
	}
	if string(owner) != key {
		return valueWrongKey, string(owner)
	}
	if len(v) != size || body[len(key)+1+versionDigits] != separator {
		return valueCorrupt, ""
	}
	return valueOK, ""
}

// newFiller returns size random printable bytes: a source of filler that
// encodeValue callers slice at random offsets, so values differ cheaply.
func newFiller(rng interface{ IntN(int) int }, size int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, size)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return b
}
