package resp

import (
	"math"
	"strconv"
)

// parseInt parses a RESP decimal integer (optional sign, digits only) without
// allocating, reporting false on empty input, stray bytes or overflow.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxUint64-9)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// parseDouble parses a RESP3 double: decimal or exponent notation, or
// "inf", "-inf", "+inf" and "nan" in any case. Go-only forms that RESP does
// not allow (hexadecimal, underscores, "Infinity") are rejected.
func parseDouble(b []byte) (float64, bool) {
	switch string(b) {
	case "inf", "+inf", "INF", "+INF", "Inf", "+Inf":
		return math.Inf(1), true
	case "-inf", "-INF", "-Inf":
		return math.Inf(-1), true
	case "nan", "NAN", "NaN", "-nan":
		return math.NaN(), true
	}
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// isBigNumber reports whether b is an optionally signed run of digits.
func isBigNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// appendDouble writes f in the shortest form that reads back to the same
// float64, using RESP3's spellings for infinities and NaN.
func appendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}
