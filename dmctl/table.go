package dmctl

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseTable parses a device-mapper table in dmsetup's text form: one
// target a line, "start length type [params...]", blank lines and lines
// starting with '#' ignored. Targets must be given in order and without
// gaps, as the kernel requires.
func ParseTable(r io.Reader) ([]Target, error) {
	var targets []Target
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		t, err := ParseTarget(text)
		if err != nil {
			return nil, fmt.Errorf("table line %d: %w", line, err)
		}
		if n := len(targets); n > 0 {
			prev := targets[n-1]
			if t.Start != prev.Start+prev.Length {
				return nil, fmt.Errorf("table line %d: target starts at sector %d, want %d (targets must be contiguous)",
					line, t.Start, prev.Start+prev.Length)
			}
		} else if t.Start != 0 {
			return nil, fmt.Errorf("table line %d: first target starts at sector %d, want 0", line, t.Start)
		}
		targets = append(targets, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading table: %w", err)
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("empty table")
	}
	return targets, nil
}

// ParseTarget parses one table line: "start length type [params...]".
// The parameters are kept as written, less surrounding white space.
func ParseTarget(line string) (Target, error) {
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return Target{}, fmt.Errorf("%q: want \"start length type [params...]\"", line)
	}
	start, err := strconv.ParseUint(fields[0], 10, 64)
	if err != nil {
		return Target{}, fmt.Errorf("%q: bad start sector %q", line, fields[0])
	}
	length, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil || length == 0 {
		return Target{}, fmt.Errorf("%q: bad length %q", line, fields[1])
	}
	if len(fields[2]) >= typeLen {
		return Target{}, fmt.Errorf("%q: target type %q is longer than %d bytes", line, fields[2], typeLen-1)
	}
	// Keep the parameters as the user wrote them (spacing included), as
	// dmsetup does.
	rest := strings.TrimSpace(line)
	for range 3 {
		rest = strings.TrimLeft(rest, " \t")
		i := strings.IndexAny(rest, " \t")
		if i < 0 {
			rest = ""
			break
		}
		rest = rest[i:]
	}
	return Target{Start: start, Length: length, Type: fields[2], Params: strings.TrimSpace(rest)}, nil
}
