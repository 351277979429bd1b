//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// sample is one timed run of one or more commands.
type sample struct {
	wall     time.Duration
	maxRSSKB int64
}

// step is one command as a user types it, with extra environment.
type step struct {
	args []string
	env  []string
}

func cmd(args ...string) step { return step{args: args} }

func (s step) String() string { return strings.Join(s.args, " ") }

// runSteps runs the steps one after the other, each as its own process
// with its output thrown away, and returns their summed wall time and the
// largest peak RSS among them. A step that fails is an error carrying its
// stderr.
func runSteps(steps ...step) (sample, error) {
	var s sample
	for _, st := range steps {
		one, err := runStep(st)
		if err != nil {
			return s, err
		}
		s.wall += one.wall
		s.maxRSSKB = max(s.maxRSSKB, one.maxRSSKB)
	}
	return s, nil
}

// runStep runs one step through spawn, which measures it (see
// scripts/bench/spawn).
func runStep(st step) (sample, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return sample{}, err
	}
	defer r.Close()
	c := exec.Command("spawn", st.args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	c.ExtraFiles = []*os.File{w}
	c.Env = append(os.Environ(), st.env...)
	err = c.Start()
	w.Close()
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", st, err)
	}
	report, _ := io.ReadAll(r)
	if err := c.Wait(); err != nil {
		return sample{}, fmt.Errorf("%s: %w: %s", st, err, strings.TrimSpace(stderr.String()))
	}
	var res struct {
		Ns    int64 `json:"ns"`
		RSSKB int64 `json:"rss_kb"`
		Exit  int   `json:"exit"`
	}
	if err := json.Unmarshal(report, &res); err != nil {
		return sample{}, fmt.Errorf("%s: spawn reported %q: %w", st, report, err)
	}
	if res.Exit != 0 {
		return sample{}, fmt.Errorf("%s: exit status %d: %s", st, res.Exit, strings.TrimSpace(stderr.String()))
	}
	return sample{wall: time.Duration(res.Ns), maxRSSKB: res.RSSKB}, nil
}

// output runs a command and returns its standard output.
func output(st step) (string, error) {
	c := exec.Command(st.args[0], st.args[1:]...)
	c.Env = append(os.Environ(), st.env...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w: %s", st, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// summarize reduces samples to a Stat: the median time, the largest RSS.
func summarize(samples []sample, perOp int) *Stat {
	if len(samples) == 0 {
		return nil
	}
	walls := make([]time.Duration, len(samples))
	var rss int64
	for i, s := range samples {
		walls[i] = s.wall
		rss = max(rss, s.maxRSSKB)
	}
	slices.Sort(walls)
	med := walls[len(walls)/2]
	if len(walls)%2 == 0 {
		med = (walls[len(walls)/2-1] + walls[len(walls)/2]) / 2
	}
	if perOp < 1 {
		perOp = 1
	}
	return &Stat{Seconds: med.Seconds() / float64(perOp), MaxRSSKB: rss, Reps: len(samples)}
}

// contender is one way of doing a figure's work: a function that does it
// once (rep counts from 0) and returns what it measured.
type contender func(rep int) (sample, error)

// interleave runs the contenders reps times each, alternating between
// them so that a slow spell of the machine hits all of them alike, and
// returns one Stat per contender (nil for a nil contender). Each Stat after
// the first also carries the median of its repetitions' paired ratios to
// the first contender's (Ratio), which a slow spell distorts less than a
// ratio of medians.
func interleave(reps int, cs ...contender) ([]*Stat, error) {
	all := make([][]sample, len(cs))
	for rep := range reps {
		for i, c := range cs {
			if c == nil {
				continue
			}
			s, err := c(rep)
			if err != nil {
				return nil, err
			}
			all[i] = append(all[i], s)
		}
	}
	out := make([]*Stat, len(cs))
	for i := range cs {
		out[i] = summarize(all[i], 1)
		if i == 0 || out[i] == nil || len(all[0]) != len(all[i]) {
			continue
		}
		ratios := make([]float64, 0, len(all[i]))
		for j := range all[i] {
			if all[i][j].wall > 0 {
				ratios = append(ratios, all[0][j].wall.Seconds()/all[i][j].wall.Seconds())
			}
		}
		out[i].Ratio = median(ratios)
	}
	return out, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// stepsOf makes a contender out of a function giving the steps of rep.
func stepsOf(f func(rep int) []step) contender {
	return func(rep int) (sample, error) { return runSteps(f(rep)...) }
}

// same makes a contender that runs the same steps every time.
func same(steps ...step) contender {
	return func(int) (sample, error) { return runSteps(steps...) }
}
