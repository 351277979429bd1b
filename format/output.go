package format

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
)

// Output says where a view goes and in which form.
type Output struct {
	W     io.Writer
	Kind  Kind
	Table TableOptions // how tables are laid out (Kind Table only)
}

// TableOptions lay out the tables of Kind Table for scripts as well as for
// people, with the switches of dmsetup, lsblk and lvs.
type TableOptions struct {
	// Columns selects and orders the columns (-o/--options), by name, in
	// any case. A list starting with "+" adds its columns to the default
	// ones. Empty: the view's default columns.
	Columns string
	// NoHeadings leaves out the heading line (--noheadings).
	NoHeadings bool
	// Separator, when set, joins the cells of a line with it instead of
	// aligning them (--separator): one line per row, nothing padded.
	Separator string
	// Bytes prints sizes as exact byte counts (--bytes, as lsblk -b)
	// instead of binary units.
	Bytes bool
}

// OptString is a string that may be absent: it marshals to JSON null when
// empty, so that a missing uuid, origin or path reads null in every view
// rather than "" in some and a missing key in others.
type OptString string

// MarshalJSON implements json.Marshaler.
func (s OptString) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *OptString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = OptString(v)
	return nil
}

// humanBytes prints a size for people in binary units, without the blank
// go-humanize puts before the unit ("100GiB", "64KiB", "0B"), so that a size
// stays one word for awk.
func humanBytes(n uint64) string {
	return strings.ReplaceAll(humanize.IBytes(n), " ", "")
}

// sizeText prints a size as tables show it: in binary units, or in bytes
// under --bytes.
func sizeText(n uint64, bytes bool) string {
	if bytes {
		return strconv.FormatUint(n, 10)
	}
	return humanBytes(n)
}

// percentText prints a share of a whole as "12.34%", or "-" for a whole of 0.
func percentText(part, whole uint64) string {
	if whole == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 2, 64) + "%"
}
