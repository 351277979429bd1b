package format

import (
	"bytes"
	"strconv"
)

// concise writes devices in dmsetup table --concise form (_status with
// use_concise, then the newline main() adds once output was produced).
func concise(b *bytes.Buffer, devs []TableRecord, target string) {
	produced := false
	header := func(d *TableRecord) {
		if produced {
			b.WriteByte(';')
		}
		produced = true
		quoteConcise(b, d.Name)
		b.WriteByte(',')
		quoteConcise(b, string(d.UUID))
		b.WriteByte(',')
		b.WriteString(strconv.FormatUint(uint64(d.Minor), 10))
		if d.ReadOnly {
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
			b.WriteString(strconv.FormatUint(t.StartSector, 10))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatUint(t.LengthSectors, 10))
			b.WriteByte(' ')
			b.WriteString(t.Type)
			b.WriteByte(' ')
			quoteConcise(b, t.Params)
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
