package format

import "strings"

// hideKeys returns a table line's params with the key material that
// dmsetup table hides unless --showkeys overwritten with '0's, the same
// length (_status and hide_key in dmsetup.c):
//
//   - crypt: the second word (the key), unless it is a kernel keyring
//     reference, which starts with ':';
//   - integrity: the key after "internal_hash:ALG:", "journal_crypt:ALG:"
//     and "journal_mac:ALG:" (first occurrence of each).
func hideKeys(targetType, params string) string {
	switch targetType {
	case "crypt":
		sp := strings.IndexByte(params, ' ')
		if sp < 0 || sp+1 >= len(params) || params[sp+1] == ':' {
			return params
		}
		return zeroWord(params, sp+1)
	case "integrity":
		for _, name := range [...]string{"internal_hash:", "journal_crypt:", "journal_mac:"} {
			params = hideKey(params, name)
		}
	}
	return params
}

// hideKey zeroes the key of an integrity option "name ALG:KEY" in params,
// as hide_key does: the key starts after the first ':' that follows name,
// unless a blank comes first.
func hideKey(params, name string) string {
	i := strings.Index(params, name)
	if i < 0 {
		return params
	}
	i += len(name)
	j := strings.IndexAny(params[i:], " :")
	if j < 0 || params[i+j] != ':' {
		return params
	}
	return zeroWord(params, i+j+1)
}

// zeroWord returns s with the bytes from start up to the next blank (or the
// end) replaced by '0'.
func zeroWord(s string, start int) string {
	end := strings.IndexByte(s[start:], ' ')
	if end < 0 {
		end = len(s)
	} else {
		end += start
	}
	if end == start {
		return s
	}
	return s[:start] + strings.Repeat("0", end-start) + s[end:]
}
