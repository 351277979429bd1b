//go:build linux

package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// profileOf runs steps twice more with the profiling build of dmctl in
// place of dmctl, each step loops times in its process, and passes the CPU
// profile of the first run and the allocation profile of the second to the
// host as result lines. It does nothing
// without --profile.
func (s *suite) profileOf(name string, loops int, steps ...step) error {
	if s.profile == "" {
		return nil
	}
	dir, err := os.MkdirTemp("", "dmctl-prof")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for i, st := range steps {
		if st.args[0] != "dmctl" {
			continue
		}
		args := append([]string{s.profile}, st.args[1:]...)
		// Two runs: sampling every allocation would swamp the CPU profile.
		for _, kind := range []string{"cpu", "alloc"} {
			path := filepath.Join(dir, fmt.Sprintf("%s.%d.%s", name, i, kind))
			env := append(st.env, fmt.Sprintf("DMCTL_BENCH_LOOPS=%d", loops))
			if kind == "cpu" {
				env = append(env, "DMCTL_BENCH_CPUPROFILE="+path)
			} else {
				env = append(env, "DMCTL_BENCH_MEMPROFILE="+path)
			}
			if _, err := runSteps(step{args: args, env: env}); err != nil {
				return err
			}
			if err := s.emitFile(filepath.Base(path), path); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitFile passes a file to the host as base64 result lines.
func (s *suite) emitFile(name, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(b)
	const chunk = 8192
	for len(enc) > 0 {
		n := min(chunk, len(enc))
		fmt.Fprintf(s.out, "%sfile %s %s\n", resultPrefix, name, enc[:n])
		enc = enc[n:]
	}
	return nil
}
