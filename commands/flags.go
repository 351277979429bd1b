//go:build linux

package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

// Global flag names.
const (
	flagOutput = "output"
	flagRoot   = "root"
	flagPrefix = "prefix"
	flagQuiet  = "quiet"
)

// Table flag names: how a table is laid out for scripts.
const (
	flagOptions    = "options"
	flagNoHeadings = "noheadings"
	flagSeparator  = "separator"
	flagBytes      = "bytes"
)

// Device selection flag names, as dmsetup's -u, -j and -m.
const (
	flagUUID  = "uuid"
	flagMajor = "major"
	flagMinor = "minor"
)

// DefaultRoot is where dmctl keeps a pool's state unless --root says
// otherwise.
const DefaultRoot = "/var/lib/dmctl"

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    flagOutput,
			Value:   string(format.Table),
			Usage:   "output `FORMAT`: table (for people), json (for programs) or dmsetup (dmsetup's own text)",
			EnvVars: []string{"DMCTL_OUTPUT"},
		},
		&cli.StringFlag{
			Name:    flagRoot,
			Value:   DefaultRoot,
			Usage:   "state directory of the pool, `DIR` (Docker's layout; a /var/lib/docker/devicemapper works)",
			EnvVars: []string{"DMCTL_ROOT"},
		},
		&cli.StringFlag{
			Name:  flagPrefix,
			Value: "docker",
			Usage: "first word of device names: `WORD`-MAJ:MIN-INO-pool",
		},
		&cli.BoolFlag{
			Name:    flagQuiet,
			Aliases: []string{"q"},
			Usage:   "print nothing but errors: the exit status says how it went",
		},
	}
}

// tableFlags are the flags of every command that prints a table.
func tableFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagOptions, Aliases: []string{"o"}, Usage: "the columns to print, comma-separated (`COL,...`; +COL,... adds to the default ones)"},
		&cli.BoolFlag{Name: flagNoHeadings, Usage: "leave out the heading line"},
		&cli.StringFlag{Name: flagSeparator, Usage: "join the columns with `SEP` instead of aligning them"},
		&cli.BoolFlag{Name: flagBytes, Usage: "print sizes in bytes"},
	}
}

// selectFlags are dmsetup's ways to name a device other than by its name.
func selectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagUUID, Aliases: []string{"u"}, Usage: "the device with this `UUID`"},
		&cli.StringFlag{Name: flagMajor, Aliases: []string{"j"}, Usage: "with --minor: the device with this `MAJOR` number"},
		&cli.StringFlag{Name: flagMinor, Aliases: []string{"m"}, Usage: "with --major: the device with this `MINOR` number"},
	}
}

// withFlags returns the flags of several groups as one list.
func withFlags(groups ...[]cli.Flag) []cli.Flag {
	var out []cli.Flag
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// outputOf returns where and how the command prints: the app's writer, the
// --output format and, for commands with table flags, the table layout.
func outputOf(c *cli.Context) (format.Output, error) {
	k, err := format.ParseKind(c.String(flagOutput))
	if err != nil {
		return format.Output{}, usagef("%v", err)
	}
	out := format.Output{W: c.App.Writer, Kind: k}
	if findFlag(c.Command.Flags, flagNoHeadings) != nil {
		out.Table = format.TableOptions{
			Columns:    c.String(flagOptions),
			NoHeadings: c.Bool(flagNoHeadings),
			Separator:  c.String(flagSeparator),
			Bytes:      c.Bool(flagBytes),
		}
	}
	return out, nil
}

// tableOutput is outputOf for a command printing view, with its -o checked
// before anything is read: under --output json too, which prints every key
// but must not take a misspelt column silently (dmsetup's output takes
// dmsetup's words, which the commands check).
func tableOutput(c *cli.Context, view format.TableView) (format.Output, error) {
	out, err := outputOf(c)
	if err != nil {
		return out, err
	}
	if out.Kind != format.Dmsetup {
		if out.Table.Columns == "help" {
			for _, col := range view.Columns() {
				extra := ""
				if !col.Default {
					extra = " (with -o)"
				}
				fmt.Fprintf(out.W, "  %-13s %s%s\n", strings.ToLower(col.Name), col.About, extra)
			}
			return out, errColumnsListed
		}
		if err := view.CheckColumns(out.Table.Columns); err != nil {
			return out, usagef("%v", err)
		}
	}
	return out, nil
}

// errColumnsListed ends a command run with -o help, once the columns are
// listed: success.
var errColumnsListed = errors.New("columns listed")

// selection is a device named by -u, or by -j and -m, for the command verb.
type selection struct {
	verb string
	uuid string
	dev  dmctl.Dev
	byNo bool
}

// deviceSelection reads -u/-j/-m and checks them against the names given:
// one way of naming a device at a time. ok is false when none was given.
// A flag given an empty value (a script's unset variable) is refused: it
// names no device, and must not fall back to every device.
func deviceSelection(c *cli.Context, names []string) (sel selection, ok bool, err error) {
	uuid, maj, min := c.String(flagUUID), c.String(flagMajor), c.String(flagMinor)
	byUUID, byMaj, byMin := c.IsSet(flagUUID), c.IsSet(flagMajor), c.IsSet(flagMinor)
	switch {
	case !byUUID && !byMaj && !byMin:
		return sel, false, nil
	case byUUID && (byMaj || byMin):
		return sel, false, usagef("%s: name the device with --uuid or with --major and --minor, not both", c.Command.Name)
	case !byUUID && (!byMaj || !byMin):
		return sel, false, usagef("%s: --major and --minor go together", c.Command.Name)
	case len(names) > 0:
		return sel, false, usagef("%s: name the device either by NAME or with --uuid/--major/--minor", c.Command.Name)
	case byUUID && uuid == "":
		return sel, false, usagef("%s: --uuid is empty", c.Command.Name)
	}
	if byUUID {
		if err := dmctl.ValidateUUID(uuid); err != nil {
			return sel, false, usagef("%s: %v", c.Command.Name, err)
		}
		return selection{verb: c.Command.Name, uuid: uuid}, true, nil
	}
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if err1 != nil || err2 != nil {
		return sel, false, usagef("%s: bad device number %s:%s", c.Command.Name, maj, min)
	}
	return selection{verb: c.Command.Name, dev: dmctl.MakeDev(uint32(ma), uint32(mi)), byNo: true}, true, nil
}

// name returns the name of the selected device.
func (s selection) name(ctl *dmctl.Control) (string, error) {
	var info dmctl.DeviceInfo
	var err error
	if s.byNo {
		info, err = ctl.InfoByDev(s.dev)
	} else {
		info, err = ctl.InfoByUUID(s.uuid)
	}
	if err != nil {
		return "", selectionError{sel: s, err: err}
	}
	return info.Name, nil
}

// selectionError is the failure to find the device a selection names.
type selectionError struct {
	sel selection
	err error
}

func (e selectionError) Error() string {
	what := "uuid " + e.sel.uuid
	if e.sel.byNo {
		what = "number " + e.sel.dev.String()
	}
	if errors.Is(e.err, dmctl.ErrNoDevice) || errors.Is(e.err, syscall.ENXIO) {
		return fmt.Sprintf("%s: no device with %s", e.sel.verb, what)
	}
	return fmt.Sprintf("%s: device with %s: %v", e.sel.verb, what, e.err)
}

func (e selectionError) Unwrap() error { return e.err }

// checkNames refuses device names the kernel would refuse, before the
// kernel is asked anything.
func checkNames(c *cli.Context, names ...string) error {
	for _, n := range names {
		if err := dmctl.ValidateName(n); err != nil {
			return usagef("%s: %v", c.Command.Name, err)
		}
	}
	return nil
}
