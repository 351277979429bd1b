package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// KV is one line of a key/value report such as docker info's devicemapper
// section.
type KV struct {
	Key       string // label for people, e.g. "Data Space Used"
	Value     string // value for people, e.g. "11.8MB"
	JSONKey   string // JSON key; "" derives snake_case from Key ("data_space_used")
	JSONValue any    // JSON value, e.g. uint64(11800000); nil means Value
}

// KeyValues prints a key/value report. Table (and Dmsetup, which has no
// form of its own) prints "TITLE:" and then "  KEY: VALUE" per pair, as
// docker info prints a storage driver's status; with an empty title the
// pairs are printed unindented. JSON prints one object of JSONKey to
// JSONValue, keys in the order given (the caller keeps them unique).
func KeyValues(w io.Writer, k Kind, title string, kvs []KV) error {
	k, err := k.resolve("key values")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if k == JSON {
		b.WriteByte('{')
		for i, kv := range kvs {
			key := kv.JSONKey
			if key == "" {
				key = snakeCase(kv.Key)
			}
			var val any = kv.JSONValue
			if val == nil {
				val = kv.Value
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n  ")
			if err := encodeJSON(&b, key, ""); err != nil {
				return fmt.Errorf("render key values as json: key %q: %w", kv.Key, err)
			}
			b.WriteString(": ")
			if err := encodeJSON(&b, val, "  "); err != nil {
				return fmt.Errorf("render key values as json: key %q: %w", kv.Key, err)
			}
		}
		if len(kvs) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("}\n")
		return flush(w, "key values", &b)
	}
	indent := ""
	if title != "" {
		b.WriteString(title + ":\n")
		indent = "  "
	}
	for _, kv := range kvs {
		b.WriteString(indent + kv.Key + ": " + kv.Value + "\n")
	}
	return flush(w, "key values", &b)
}

// encodeJSON appends v as indented JSON (continuation lines start with
// prefix) without HTML escaping or a trailing newline.
func encodeJSON(b *bytes.Buffer, v any, prefix string) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// snakeCase turns a label into a JSON key: lower-case letters and digits,
// every other run of characters one '_', none at either end.
func snakeCase(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(r)
			continue
		}
		sep = true
	}
	return b.String()
}
