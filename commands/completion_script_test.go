package commands_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestBashCompletionScript sources man/dmctl.bash in bash and completes
// command lines with the test binary standing in for dmctl.
func TestBashCompletionScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("no bash: %v", err)
	}
	script, err := filepath.Abs("../man/dmctl.bash")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words []string // the last is being completed
		want  []string
	}{
		{[]string{"--output", ""}, []string{"dmsetup", "json", "table"}},
		{[]string{"sn"}, []string{"snapshot"}},
		{[]string{"status", "-o", "data_"}, []string{"data_total", "data_used"}},
		{[]string{"--output=j"}, []string{"--output=json"}},
	}
	for _, tc := range tests {
		words := append([]string{os.Args[0]}, tc.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		prog := "source " + script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_dmctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "-c", prog)
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash completion of %q: %v", tc.words, err)
		}
		got := strings.Split(strings.TrimSpace(string(out)), "\n")
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("bash completion of %q = %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestZshCompletionScript runs man/_dmctl in zsh with compadd and _files
// standing in for the completion system, and the test binary for dmctl.
func TestZshCompletionScript(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skipf("no zsh: %v", err)
	}
	script, err := filepath.Abs("../man/_dmctl")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"--output", ""}, "dmsetup json table"},
		{[]string{"pool", "c"}, "create"},
		{[]string{"create", "x", "--table-file-does-not-matter", ""}, "FILES"},
	} {
		words := append([]string{os.Args[0]}, tc.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		prog := "compadd() { [[ $1 == -a ]] && print -r -- ${(P)2} }\n_files() { print FILES }\n" +
			"words=(" + strings.Join(quoted, " ") + ")\nCURRENT=" + strconv.Itoa(len(words)) + "\nsource " + script + "\n"
		cmd := exec.Command(zsh, "-f", "-c", prog)
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("zsh completion of %q: %v", tc.words, err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("zsh completion of %q = %q, want %q", tc.words, got, tc.want)
		}
	}
}
