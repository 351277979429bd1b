package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Kind is an output format.
type Kind string

// The output formats.
const (
	Table   Kind = "table"   // aligned columns for people (the default)
	JSON    Kind = "json"    // one JSON document for programs
	Dmsetup Kind = "dmsetup" // the text dmsetup prints
)

// ParseKind returns the Kind named by s: "table", "json" or "dmsetup", in
// any case. The empty string means Table.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case "":
		return Table, nil
	case Table, JSON, Dmsetup:
		return k, nil
	}
	return "", fmt.Errorf("parse output format %q: want table, json or dmsetup", s)
}

// resolve returns k with the empty Kind read as Table, or an error naming
// what was being rendered when k is unknown.
func (k Kind) resolve(what string) (Kind, error) {
	switch k {
	case "":
		return Table, nil
	case Table, JSON, Dmsetup:
		return k, nil
	}
	return "", fmt.Errorf("render %s: unknown output format %q", what, string(k))
}

// writeJSON writes v as one indented JSON document and a newline.
func writeJSON(w io.Writer, what string, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("render %s as json: %w", what, err)
	}
	return nil
}

// flush writes the text built in b to w.
func flush(w io.Writer, what string, b *bytes.Buffer) error {
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("render %s: %w", what, err)
	}
	return nil
}

// noDevices is what dmsetup's _process_all prints when the kernel lists no
// device.
const noDevices = "No devices found\n"
