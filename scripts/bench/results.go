//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Stat is one tool's measurement of a figure: the median wall time of one
// operation over Reps repetitions and the largest peak RSS seen.
type Stat struct {
	Seconds  float64 `json:"s"`
	MaxRSSKB int64   `json:"rss_kb,omitempty"`
	Reps     int     `json:"reps"`
	// Ratio, when set, is the median over repetitions of dmctl's time
	// over this tool's, each pair measured back to back.
	Ratio float64 `json:"ratio,omitempty"`
}

// Figure is one line of the benchmark: dmctl, the peer a user would run
// instead (dmsetup, thin_ls, thin_trim) and the bare-ioctl floor, doing
// the same work in the same guest run.
type Figure struct {
	ID       string             `json:"id"` // stable key, e.g. "reads/status@10000"
	Group    string             `json:"group"`
	Name     string             `json:"name"`
	Devices  int                `json:"devices,omitempty"`
	Dmctl    *Stat              `json:"dmctl,omitempty"`
	Peer     *Stat              `json:"peer,omitempty"`
	Floor    *Stat              `json:"floor,omitempty"`
	DmctlCmd string             `json:"dmctl_cmd,omitempty"`
	PeerCmd  string             `json:"peer_cmd,omitempty"`
	FloorCmd string             `json:"floor_cmd,omitempty"`
	Extra    map[string]float64 `json:"extra,omitempty"`
	Note     string             `json:"note,omitempty"`
}

// PeerRatio is dmctl's time over the peer's, 0 when either is missing.
func (f Figure) PeerRatio() float64 { return ratio(f.Dmctl, f.Peer) }

// FloorRatio is dmctl's time over the floor's, 0 when either is missing.
func (f Figure) FloorRatio() float64 { return ratio(f.Dmctl, f.Floor) }

func ratio(a, b *Stat) float64 {
	if a == nil || b == nil || b.Seconds <= 0 {
		return 0
	}
	if b.Ratio > 0 {
		return b.Ratio
	}
	return a.Seconds / b.Seconds
}

// resultPrefix starts every result line the guest prints; the host picks
// these lines out of the console output.
const resultPrefix = "@@bench "

// Run is what one guest run measured.
type Run struct {
	Meta    map[string]string `json:"meta"`
	Figures []Figure          `json:"figures"`
	Files   map[string]string `json:"-"` // name -> base64 (profiles)
}

// emit prints a figure as a result line.
func emit(w io.Writer, kind string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types always marshal
	}
	fmt.Fprintf(w, "%s%s %s\n", resultPrefix, kind, b)
}

// readRun collects the result lines of a guest run's output.
func readRun(r io.Reader) (*Run, error) {
	run := &Run{Meta: map[string]string{}, Files: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		i := strings.Index(line, resultPrefix)
		if i < 0 {
			continue
		}
		kind, body, _ := strings.Cut(line[i+len(resultPrefix):], " ")
		switch kind {
		case "figure":
			var f Figure
			if err := json.Unmarshal([]byte(body), &f); err != nil {
				return nil, fmt.Errorf("result line %q: %w", line, err)
			}
			run.Figures = append(run.Figures, f)
		case "meta":
			var m map[string]string
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				return nil, fmt.Errorf("result line %q: %w", line, err)
			}
			for k, v := range m {
				run.Meta[k] = v
			}
		case "file":
			name, data, _ := strings.Cut(body, " ")
			run.Files[name] += data
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(run.Figures) == 0 {
		return nil, fmt.Errorf("no benchmark results in the guest's output")
	}
	return run, nil
}

// figure returns the figure with that id.
func (r *Run) figure(id string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.ID == id {
			return f, true
		}
	}
	return Figure{}, false
}

// group returns the figures of a group, in the order measured.
func (r *Run) group(g string) []Figure {
	var out []Figure
	for _, f := range r.Figures {
		if f.Group == g {
			out = append(out, f)
		}
	}
	return out
}

// sizes returns the device counts of the scaling figures (the @N of their
// ids), ascending.
func (r *Run) sizes() []int {
	seen := map[int]bool{}
	var out []int
	for _, f := range r.group("reads") {
		_, n, _ := strings.Cut(f.ID, "@")
		size, err := strconv.Atoi(n)
		if err == nil && !seen[size] {
			seen[size] = true
			out = append(out, size)
		}
	}
	sort.Ints(out)
	return out
}
