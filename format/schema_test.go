package format

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

const schemaDoc = "../docs/json.md"

// TestSchemaDoc fails when docs/json.md is stale; rewrite it with
// go test ./format -run TestSchemaDoc -args -update.
func TestSchemaDoc(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSchema(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll("../docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(schemaDoc, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaDoc)
	if err != nil {
		t.Fatalf("%v (run go test ./format -run TestSchemaDoc -args -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is stale: run go test ./format -run TestSchemaDoc -args -update", schemaDoc)
	}
}

// TestSchemaRules checks the rules every record follows: each key is
// documented and snake_case, sizes end in _bytes, lists and absent values
// are typed so that they print [] and null.
func TestSchemaRules(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == optTimeType || seen[typ] {
			return
		}
		seen[typ] = true
		for _, f := range fields(typ) {
			if f.doc == "" {
				t.Errorf("%s.%s has no doc tag", typ.Name(), f.key)
			}
			if f.key != strings.ToLower(f.key) || strings.ContainsAny(f.key, " -") {
				t.Errorf("%s.%s: key is not snake_case", typ.Name(), f.key)
			}
			if strings.Contains(f.key, "size") && !strings.HasSuffix(f.key, "_bytes") && !strings.HasSuffix(f.key, "_sectors") {
				t.Errorf("%s.%s: a size's key must end in _bytes or _sectors", typ.Name(), f.key)
			}
			if f.typ.Kind() == reflect.Map || f.typ.Kind() == reflect.Interface {
				t.Errorf("%s.%s: %s has no schema", typ.Name(), f.key, f.typ)
			}
			walk(f.typ)
		}
	}
	for _, v := range Views {
		walk(v.Type)
	}
}

func TestValidate(t *testing.T) {
	v, _ := viewNamed("targets")
	for _, tc := range []struct {
		doc string
		ok  bool
	}{
		{`[]`, true},
		{`[{"name":"thin","version":"1.0.0"}]`, true},
		{`null`, false},
		{`{}`, false},
		{`[{"name":"thin"}]`, false},
		{`[{"name":"thin","version":"1.0.0","extra":1}]`, false},
		{`[{"name":1,"version":"1.0.0"}]`, false},
		{`[] []`, false},
	} {
		if err := v.Validate([]byte(tc.doc)); (err == nil) != tc.ok {
			t.Errorf("Validate(targets, %s) = %v, want ok %v", tc.doc, err, tc.ok)
		}
	}
	v, _ = viewNamed("snapshot")
	good := `{"id":"a","name":"p-a","thin_id":1,"origin":null,"size_bytes":1,"mapped_bytes":null,` +
		`"exclusive_bytes":null,"shared_bytes":null,"transaction_id":1,"created_at":"2026-11-30T12:00:00Z",` +
		`"active":false,"deleted":false,"device_path":"/dev/mapper/p-a","mountpoints":[]}`
	if err := v.Validate([]byte(good)); err != nil {
		t.Errorf("Validate(snapshot, good) = %v", err)
	}
	for _, bad := range []string{
		strings.Replace(good, `"mountpoints":[]`, `"mountpoints":null`, 1),
		strings.Replace(good, `"thin_id":1`, `"thin_id":1.5`, 1),
		strings.Replace(good, `"size_bytes":1`, `"size_bytes":-1`, 1),
		strings.Replace(good, `"2026-11-30T12:00:00Z"`, `"yesterday"`, 1),
	} {
		if err := v.Validate([]byte(bad)); err == nil {
			t.Errorf("Validate(snapshot, %s) = nil, want an error", bad)
		}
	}
}

// TestViewsCover checks that every view has a unique name and a command.
func TestViewsCover(t *testing.T) {
	names := map[string]bool{}
	for _, v := range Views {
		if names[v.Name] || len(v.Commands) == 0 || v.About == "" {
			t.Errorf("view %q: duplicate, or without commands or about", v.Name)
		}
		names[v.Name] = true
	}
}
