package commands

import (
	"io"
	"strings"
)

// manExtra follows the generated sections of the man page.
const manExtra = `.SH EXIT STATUS
.TP
.B 0
success
.TP
.B 1
the operation failed (one line on standard error says why)
.TP
.B 2
bad command line
.SH ENVIRONMENT
.TP
.B DMCTL_ROOT
state directory of the pool (default /var/lib/dmctl), as --root
.TP
.B DMCTL_OUTPUT
output format, as --output
.TP
.B DM_DISABLE_UDEV
when set, dmctl makes /dev/mapper nodes itself without waiting for udev
.SH FILES
.TP
.B /dev/mapper/control
the device-mapper control node (created from /proc/misc when missing)
.TP
.B ROOT/devicemapper/data, ROOT/devicemapper/metadata
sparse loop files of a loop-mode pool
.TP
.B ROOT/metadata/
one JSON file a device, deviceset-metadata and transaction-metadata, as Docker's devicemapper driver wrote them
.SH EXAMPLES
.nf
dmctl create lin --table '0 2048 linear 7:0 0'
dmctl --output dmsetup info -c
dmctl pool create --storage-opt dm.basesize=20G
dmctl snapshot create image
dmctl snapshot create ctr --origin image
dmctl info
dmctl ls --tree
.fi
.SH SEE ALSO
dmsetup(8), lsblk(8), thin_check(8), thin_ls(8), lvmthin(7)
`

// WriteManPage writes dmctl's man page, generated from the command
// definitions, to w.
func WriteManPage(w io.Writer) error {
	app := NewApp(strings.NewReader(""), io.Discard, io.Discard)
	page, err := app.ToManWithSection(8)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, page); err != nil {
		return err
	}
	_, err = io.WriteString(w, manExtra)
	return err
}
