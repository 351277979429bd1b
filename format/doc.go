// Package format is the one home of dmctl's views: what it reads from the
// kernel and from a pool, rendered for people, for programs and as dmsetup
// prints it.
//
// Every view is a typed record (InfoRecord, StatusRecord, SnapshotRecord,
// ...) that the commands fill and one function that renders it to an
// Output: the io.Writer to write to, the Kind, and the TableOptions of
// tables. Nothing here writes to os.Stdout.
//
//   - Kind Table (the default) prints aligned, borderless columns with
//     one-word upper-case headings, like lsblk or docker ps, sizes in binary
//     units without a blank ("100GiB"), "-" for an empty cell and \x20 for a
//     blank inside a cell (with a separator: \xNN for the separator's
//     bytes) except in the last column, so that awk's fields are the
//     columns. TableOptions select the columns (-o), drop the
//     headings, join cells with a separator instead, and print sizes in
//     bytes; writeTable is the one place tables are laid out. Reports of
//     one object (pool create, trim, docker info's section) print
//     "Key: value" lines.
//   - Kind JSON prints the records themselves, one JSON document per call:
//     the schema (schema.go, docs/json.md) is generated from the record
//     types and every document can be checked against it (View.Validate).
//   - Kind Dmsetup prints what dmsetup 1.02.185 (lvm2's
//     libdm/dm-tools/dmsetup.c and libdm/libdm-report.c) prints for the
//     same verb, byte for byte; info -c is libdm's report with dmsetup's -o,
//     --noheadings, --separator and --nameprefixes. Views with no dmsetup
//     counterpart print their Table form.
//
// Devices are printed in the order given; dmsetup prints them in the
// kernel's list order and never sorts, so callers pass kernel order.
//
// To add a view: a record type whose exported fields carry json and doc
// tags (reuse a key of another view for the same fact; *_bytes for sizes,
// OptString, OptTime or a pointer for what may be absent), a table of
// columns when it prints one (one-word names; see table.go) and a render
// function taking an Output; then an entry in Views naming the commands
// that print it, and make man to regenerate docs/json.md. The tests check
// the tags, the goldens against the schema, and that every command of the
// command line has a view or is in NoJSON.
package format
