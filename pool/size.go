//go:build linux

package pool

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Binary size units.
const (
	KiB uint64 = 1 << 10
	MiB uint64 = 1 << 20
	GiB uint64 = 1 << 30
	TiB uint64 = 1 << 40
	PiB uint64 = 1 << 50
)

// ParseSize parses a size the way Docker's storage options did
// (go-units RAMInBytes): a number, optionally with a fraction, an optional
// space, then an optional unit k, m, g, t or p (binary: "10G" is 10 GiB),
// which may be followed by "b" or "ib"; a bare "b" means bytes. Case does
// not matter. A fraction of a byte is dropped.
func ParseSize(s string) (uint64, error) {
	num, unit := splitSize(s)
	if num == "" || !isDecimal(num) {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	mul := uint64(1)
	switch u := strings.ToLower(unit); {
	case u == "" || u == "b":
	case len(u) <= 3 && (len(u) == 1 || u[1:] == "b" || u[1:] == "ib"):
		m, ok := unitMultiplier(u[0])
		if !ok {
			return 0, fmt.Errorf("invalid size %q: unknown unit %q", s, unit)
		}
		mul = m
	default:
		return 0, fmt.Errorf("invalid size %q: unknown unit %q", s, unit)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil || n > math.MaxInt64/mul {
			return 0, fmt.Errorf("invalid size %q: too large", s)
		}
		return n * mul, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	f *= float64(mul)
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return uint64(f), nil
}

// splitSize splits "10 GiB" into "10" and "GiB" (at most one space between).
func splitSize(s string) (num, unit string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit = s[:i], s[i:]
	return num, strings.TrimPrefix(unit, " ")
}

// isDecimal reports whether s is digits with at most one '.' between digits.
func isDecimal(s string) bool {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || hasDot && frac == "" {
		return false
	}
	return !strings.Contains(frac, ".")
}

func unitMultiplier(c byte) (uint64, bool) {
	switch c {
	case 'k':
		return KiB, true
	case 'm':
		return MiB, true
	case 'g':
		return GiB, true
	case 't':
		return TiB, true
	case 'p':
		return PiB, true
	}
	return 0, false
}
