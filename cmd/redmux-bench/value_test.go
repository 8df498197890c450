package main

import (
	"math/rand/v2"
	"testing"
)

// TestValueRoundTrip checks that encoded values have the requested size and
// pass their own key's check.
func TestValueRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{minValueSize(10_000), 64, 4096} {
		filler := newFiller(rng, 2*size)
		for _, key := range []string{keyName(0), keyName(9_999)} {
			v := encodeValue(nil, key, 0xdeadbeef, filler[rng.IntN(size):], size)
			if len(v) != size {
				t.Fatalf("size %d: encoded %d bytes: %q", size, len(v), v)
			}
			if got, _ := checkValue(key, v, size); got != valueOK {
				t.Fatalf("size %d: own value of %s judged %d: %q", size, key, got, v)
			}
		}
	}
}

// TestValueDetectsMixUps checks that another key's value, and every kind of
// damage, is caught.
func TestValueDetectsMixUps(t *testing.T) {
	const size = 64
	filler := newFiller(rand.New(rand.NewPCG(5, 6)), 2*size)
	v := encodeValue(nil, keyName(1), 1, filler, size)

	if got, owner := checkValue(keyName(2), v, size); got != valueWrongKey || owner != keyName(1) {
		t.Errorf("value of %s read as %s: verdict %d owner %q, want wrong key owned by %s",
			keyName(1), keyName(2), got, owner, keyName(1))
	}
	// A key that is a prefix of another must not match it.
	if got, _ := checkValue(keyName(12), encodeValue(nil, keyName(1), 1, filler, size), size); got != valueWrongKey {
		t.Errorf("value of %s read as %s: verdict %d, want wrong key", keyName(1), keyName(12), got)
	}
	for i := range v {
		damaged := append([]byte(nil), v...)
		damaged[i] ^= 0x20
		if got, _ := checkValue(keyName(1), damaged, size); got == valueOK {
			t.Errorf("flipping byte %d went unnoticed: %q", i, damaged)
		}
	}
	for _, bad := range [][]byte{nil, []byte("short"), v[:size-1], append(append([]byte(nil), v...), 'x')} {
		if got, _ := checkValue(keyName(1), bad, size); got != valueCorrupt {
			t.Errorf("checkValue(%q) = %d, want corrupt", bad, got)
		}
	}
	longer := encodeValue(nil, keyName(1), 1, filler, size+10)
	if got, _ := checkValue(keyName(1), longer, size); got != valueCorrupt {
		t.Errorf("intact value of the wrong size judged %d, want corrupt", got)
	}
}
