package redmux

// Redis Cluster divides the key space into 16384 hash slots: a key's slot
// is the CRC16 (XMODEM) of the key modulo 16384, or of its hash tag, the
// part between the first "{" and the next "}" when that part is not empty,
// so that "{user:1}:name" and "{user:1}:email" share a slot.

// slotCount is the number of hash slots of a Redis Cluster.
const slotCount = 16384

// keySlot returns the hash slot of key.
func keySlot(key []byte) int {
	return int(crc16(hashTag(key))) & (slotCount - 1)
}

// hashTag returns the part of key that decides its slot.
func hashTag(key []byte) []byte {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key // "{}" is not a tag
				}
				return key[i+1 : j]
			}
		}
		return key // no closing brace
	}
	return key
}

// crc16Table is the table of the CRC16-CCITT (XMODEM) polynomial 0x1021.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// crc16 is the CRC16 Redis Cluster uses (XMODEM: initial value 0, no
// reflection, no final XOR).
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^c]
	}
	return crc
}
