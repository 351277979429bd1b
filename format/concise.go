package format

import (
	"bytes"
	"strconv"

	"github.com/dmctl/dmctl/dmctl"
)

// concise writes devices in dmsetup table --concise form (_status with
// use_concise, then the newline main() adds once output was produced).
func concise(b *bytes.Buffer, devs []DeviceTargets, target string, params func(*dmctl.Target) string) {
	produced := false
	header := func(d *DeviceTargets) {
		if produced {
			b.WriteByte(';')
		}
		produced = true
		quoteConcise(b, d.Name)
		b.WriteByte(',')
		quoteConcise(b, d.Info.UUID)
		b.WriteByte(',')
		b.WriteString(strconv.FormatUint(uint64(d.Info.Dev.Minor()), 10))
		if d.Info.ReadOnly() {
			b.WriteString(",ro")
		} else {
			b.WriteString(",rw")
		}
	}
	for i := range devs {
		d := &devs[i]
		if len(d.Targets) == 0 {
			if target == "" {
				header(d)
			}
			continue
		}
		matched := false
		for j := range d.Targets {
			t := &d.Targets[j]
			if target != "" && t.Type != target {
				continue
			}
			if !matched {
				header(d)
				matched = true
			}
			b.WriteByte(',')
			b.WriteString(strconv.FormatUint(t.Start, 10))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatUint(t.Length, 10))
			b.WriteByte(' ')
			b.WriteString(t.Type)
			b.WriteByte(' ')
			quoteConcise(b, params(t))
		}
	}
	if produced {
		b.WriteByte('\n')
	}
}

// quoteConcise writes s with a backslash before each ',', ';' and '\'
// (_print_string_quoted).
func quoteConcise(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ';', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
}
