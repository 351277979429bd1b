package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The JSON schema. Every JSON document dmctl prints is one of the Views
// below: an array of records or one record of an exported type of this
// package. Keys are snake_case; one name means one fact in every view;
// sizes are integers named *_bytes, lengths in 512-byte sectors *_sectors,
// times RFC 3339 strings; a value that is absent is null, never a missing
// key; lists are [] when empty, never null. docs/json.md is generated from
// these types (WriteSchema), and Validate checks a document against them.

// View is one kind of JSON document.
type View struct {
	Name     string       // e.g. "status"
	Commands []string     // the dmctl commands that print it
	List     bool         // an array of records; otherwise one record
	Type     reflect.Type // the record type
	About    string       // what it is
}

// Views are every JSON document dmctl prints.
var Views = []View{
	{"list", []string{"ls"}, true, typeOf[ListRecord](), "The kernel's device-mapper devices."},
	{"tree", []string{"ls --tree", "snapshot ls --tree"}, true, typeOf[TreeNode](), "Devices as a tree, lsblk-like: each node's children are the devices stacked on it."},
	{"info", []string{"info NAME...", "info -c", "wait"}, true, typeOf[InfoRecord](), "Devices' state."},
	{"status", []string{"status"}, true, typeOf[StatusRecord](), "Devices' status, every target (segment) of each, with thin pools' and thin devices' figures parsed."},
	{"table", []string{"table"}, true, typeOf[TableRecord](), "Devices' tables."},
	{"deps", []string{"deps"}, true, typeOf[DepsRecord](), "The devices each device's table uses."},
	{"targets", []string{"targets"}, true, typeOf[TargetRecord](), "The target types the kernel has registered."},
	{"version", []string{"version"}, false, typeOf[VersionRecord](), "dmctl's version and the kernel driver's."},
	{"message", []string{"message"}, false, typeOf[MessageRecord](), "A target's reply to a message."},
	{"pool info", []string{"info"}, false, typeOf[PoolInfoRecord](), "The pool report: docker info's devicemapper section, then dmctl's own facts."},
	{"pools", []string{"pool ls"}, true, typeOf[PoolRecord](), "The pool of --root (one entry, or none)."},
	{"pool", []string{"pool create", "pool activate"}, false, typeOf[PoolRecord](), "The pool just created or activated."},
	{"pool extend", []string{"pool extend"}, false, typeOf[ExtendRecord](), "The pool's sizes after pool extend."},
	{"snapshots", []string{"snapshot ls"}, true, typeOf[SnapshotRecord](), "The pool's thin devices."},
	{"snapshot", []string{"snapshot create"}, false, typeOf[SnapshotRecord](), "The thin device just created."},
	{"activation", []string{"activate", "mount"}, false, typeOf[ActivationRecord](), "Where a thin device is now: its node, and for mount its mount point."},
	{"trim", []string{"trim"}, false, typeOf[TrimRecord](), "What trim gave back, or with --dry-run would give back."},
	{"check", []string{"check"}, false, typeOf[CheckRecord](), "What check compared and found."},
	{"monitor", []string{"pool monitor"}, false, typeOf[MonitorRecord](), "One action of pool monitor, printed on standard error: one JSON object per line (JSON lines), one line per action."},
}

// NoJSON are the commands that print nothing on success, in any output
// format: their exit status says how it went.
var NoJSON = []string{
	"create", "load", "resume", "suspend", "remove", "remove_all", "rename", "clear", "mknodes",
	"pool deactivate", "pool destroy", "snapshot rm", "deactivate", "umount",
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// ViewFor returns the view a command (as in View.Commands) prints.
func ViewFor(command string) (View, bool) {
	for _, v := range Views {
		if slices.Contains(v.Commands, command) {
			return v, true
		}
	}
	return View{}, false
}

var (
	optStringType = typeOf[OptString]()
	optTimeType   = typeOf[OptTime]()
)

// field is one key of a record.
type field struct {
	key string
	typ reflect.Type
	doc string
}

// fields returns a struct's JSON keys in order, with embedded structs'
// keys in place, as encoding/json prints them.
func fields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			out = append(out, fields(f.Type)...)
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if key == "-" {
			continue
		}
		if key == "" {
			key = f.Name
		}
		out = append(out, field{key: key, typ: f.Type, doc: f.Tag.Get("doc")})
	}
	return out
}

// Validate checks a JSON document against the view: the right shape,
// every key of each record present and no other, each value of its type.
func (v View) Validate(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%s: not JSON: %w", v.Name, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: more than one JSON document", v.Name)
	}
	t := v.Type
	if v.List {
		t = reflect.SliceOf(t)
	}
	return validate(v.Name, t, doc)
}

func validate(path string, t reflect.Type, v any) error {
	switch t {
	case optStringType:
		if _, ok := v.(string); ok || v == nil {
			return nil
		}
		return fmt.Errorf("%s: %v is not a string or null", path, v)
	case optTimeType:
		if v == nil {
			return nil
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: %v is not a time or null", path, v)
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v == nil {
			return nil
		}
		return validate(path, t.Elem(), v)
	case reflect.String:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %v is not a string", path, v)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %v is not a boolean", path, v)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok || strings.ContainsAny(string(n), ".eE") {
			return fmt.Errorf("%s: %v is not an integer", path, v)
		}
		if t.Kind() >= reflect.Uint && strings.HasPrefix(string(n), "-") {
			return fmt.Errorf("%s: %v is negative", path, v)
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("%s: %v is not a number", path, v)
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %v is not an array", path, v)
		}
		for i, e := range a {
			if err := validate(fmt.Sprintf("%s[%d]", path, i), t.Elem(), e); err != nil {
				return err
			}
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %v is not an object", path, v)
		}
		fs := fields(t)
		for _, f := range fs {
			val, ok := m[f.key]
			if !ok {
				return fmt.Errorf("%s: key %q is missing", path, f.key)
			}
			if err := validate(path+"."+f.key, f.typ, val); err != nil {
				return err
			}
		}
		if len(m) != len(fs) {
			for k := range m {
				if !slices.ContainsFunc(fs, func(f field) bool { return f.key == k }) {
					return fmt.Errorf("%s: unknown key %q", path, k)
				}
			}
		}
	default:
		return fmt.Errorf("%s: no schema for Go type %s", path, t)
	}
	return nil
}

// WriteSchema writes the schema of every view as Markdown (docs/json.md).
func WriteSchema(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(`# dmctl's JSON

<!-- Generated from the record types of dmctl's format package by
     "go test ./format -run TestSchemaDoc -args -update"; do not edit. -->

Every command that prints something prints one JSON document with
` + "`--output json`" + ` (or ` + "`DMCTL_OUTPUT=json`" + `): one of the views below.
The same fact has the same key in every view. Sizes are integers in bytes
(keys ending in ` + "`_bytes`" + `), lengths in 512-byte sectors end in ` + "`_sectors`" + `,
times are RFC 3339 strings. A value that is absent is ` + "`null`" + `; keys are
never left out, and lists are ` + "`[]`" + ` when empty. New keys may be added; keys
are not renamed or removed.

These commands print nothing on success, in any format: ` + "`" + strings.Join(NoJSON, "`, `") + "`" + `.

`)
	var nested []reflect.Type
	seen := map[reflect.Type]bool{}
	var note func(t reflect.Type)
	note = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == optTimeType || seen[t] {
			return
		}
		seen[t] = true
		nested = append(nested, t)
		for _, f := range fields(t) {
			note(f.typ)
		}
	}
	for _, v := range Views {
		fmt.Fprintf(&b, "## %s\n\n%s\n\nPrinted by: ", v.Name, v.About)
		for i, c := range v.Commands {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "`dmctl %s`", c)
		}
		shape := "one `" + v.Type.Name() + "` object"
		if v.List {
			shape = "an array of `" + v.Type.Name() + "` objects"
		}
		fmt.Fprintf(&b, ".\n\nThe document is %s.\n\n", shape)
		note(v.Type)
	}
	b.WriteString("## Objects\n\n")
	for _, t := range nested {
		fmt.Fprintf(&b, "### %s\n\n| key | type | meaning |\n|---|---|---|\n", t.Name())
		for _, f := range fields(t) {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.key, typeName(f.typ), f.doc)
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(bytes.TrimRight(b.Bytes(), "\n"))
	if err == nil {
		_, err = w.Write([]byte("\n"))
	}
	return err
}

// typeName describes a Go type as JSON.
func typeName(t reflect.Type) string {
	switch t {
	case optStringType:
		return "string or null"
	case optTimeType:
		return "RFC 3339 time or null"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem()) + " or null"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array of " + typeName(t.Elem())
	case reflect.Struct:
		return "`" + t.Name() + "` object"
	}
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return "integer ≥ 0"
	}
	return "integer"
}
