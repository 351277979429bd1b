package commands

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var updateMan = flag.Bool("update", false, "rewrite man/dmctl.8 from the command definitions")

// TestManPage fails when man/dmctl.8 is stale; `make man` rewrites it.
func TestManPage(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteManPage(&buf); err != nil {
		t.Fatalf("WriteManPage() = %v", err)
	}
	const path = "../man/dmctl.8"
	if *updateMan {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make man)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is stale: run make man", path)
	}
	for _, want := range []string{"pool", "snapshot", "create", "remove_all", "EXIT STATUS"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("man page lacks %q", want)
		}
	}
}
