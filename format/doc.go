// Package format renders what dmctl reads from the kernel and from a pool:
// human tables, JSON for programs, and the exact text dmsetup prints.
//
// Every renderer takes the io.Writer to write to and a Kind, and returns
// the first error it met; nothing here writes to os.Stdout.
//
//   - Kind Table (the default) prints aligned, borderless columns with
//     upper-case headings, like lsblk or docker ps, and sizes in binary
//     units (humanize.IBytes: "100 GiB").
//   - Kind JSON prints one indented JSON document per call, with stable
//     snake_case keys, sizes as integers whose unit is in the key
//     (size_bytes, length_sectors) and device numbers as "major" and
//     "minor".
//   - Kind Dmsetup prints what dmsetup 1.02.185 (lvm2's
//     libdm/dm-tools/dmsetup.c and libdm/libdm-report.c) prints for the
//     same verb, byte for byte. Renderers with no dmsetup counterpart (Tree,
//     KeyValues, Rows) print their Table form instead.
//
// Devices are printed in the order given; dmsetup prints them in the
// kernel's list order and never sorts, so callers pass kernel order.
package format
