//go:build linux

package main

import (
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goFiles returns the module's Go files (testdata and dot directories
// left out), relative to the module root.
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d Go files: walking the wrong directory?", len(files))
	}
	return files
}

// TestUnixImportsOnlyInDmctl fails when a package other than dmctl/
// imports golang.org/x/sys/unix or unsafe: dmctl is the one package that
// talks to the kernel.
func TestUnixImportsOnlyInDmctl(t *testing.T) {
	for _, p := range goFiles(t) {
		if strings.HasPrefix(p, "dmctl/") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "golang.org/x/sys/unix" || path == "unsafe" {
				t.Errorf("%s imports %s: only dmctl/ may (add what you need to dmctl)", p, path)
			}
		}
	}
}

// linuxOnly are the packages that build only on Linux: they use the
// kernel layer's Linux API. (dmctl's portable part, format and
// pool/thinmeta build everywhere; make lint builds them for darwin.)
var linuxOnly = []string{".", "commands", "pool"}

// TestLinuxOnlyPackages fails when a file of a Linux-only package lacks
// its build constraint: such a file would break the darwin build of lint.
func TestLinuxOnlyPackages(t *testing.T) {
	for _, p := range goFiles(t) {
		dir := filepath.Dir(p)
		if strings.HasSuffix(p, "_test.go") || strings.HasSuffix(p, "_linux.go") || !contains(linuxOnly, dir) {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		linux := false
		for _, cg := range f.Comments {
			if cg.Pos() > f.Package {
				break
			}
			for _, c := range cg.List {
				if expr, err := constraint.Parse(c.Text); err == nil {
					linux = expr.Eval(func(tag string) bool { return tag == "linux" }) &&
						!expr.Eval(func(tag string) bool { return tag == "darwin" })
				}
			}
		}
		if !linux {
			t.Errorf("%s: package %s is Linux-only: start the file with //go:build linux", p, dir)
		}
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// TestNoDocsGenerator fails when the binary, built as make build builds it
// (with urfave/cli's urfave_cli_no_docs tag), links urfave/cli's Markdown
// and man page generator: it costs start-up time and dmctl's man page has
// its own template.
func TestNoDocsGenerator(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "urfave_cli_no_docs", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "go-md2man") || strings.Contains(dep, "blackfriday") {
			t.Errorf("dmctl links %s", dep)
		}
	}
}
