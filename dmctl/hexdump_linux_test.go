package dmctl

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"unsafe"
)

// addrOf returns the address of b's first byte.
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// readHexFile reads a hex dump written by hexLines (or by hand): hex digits
// and white space, '#' starting a comment to the end of the line.
func readHexFile(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseHex(string(text))
}

func parseHex(text string) ([]byte, error) {
	var digits strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		return nil, fmt.Errorf("parse hex: %w", err)
	}
	return b, nil
}

// hexLines renders b as lines of 32 hex digits, the form testdata/replies
// and kernel test logs use.
func hexLines(b []byte) string {
	var s strings.Builder
	for i := 0; i < len(b); i += 16 {
		s.WriteString(hex.EncodeToString(b[i:min(i+16, len(b))]))
		s.WriteByte('\n')
	}
	return s.String()
}
