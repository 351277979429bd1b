package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func depsCommand() *cli.Command {
	return &cli.Command{
		Name:      "deps",
		Usage:     "print the devices each device's table uses",
		ArgsUsage: "[NAME...]",
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 0, -1, "[NAME...]")
			if err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				names, all, err := deviceNames(args, ctl)
				if err != nil {
					return err
				}
				var out []format.DeviceDeps
				err = forEach(names, skipVanished(all, func(name string) error {
					_, deps, err := ctl.Deps(name)
					if err != nil {
						return err
					}
					d := format.DeviceDeps{Name: name, Deps: deps}
					for _, dev := range deps {
						d.DepNames = append(d.DepNames, devName(ctl, dev))
					}
					out = append(out, d)
					return nil
				}))
				return renderGathered(len(out), err, func() error {
					return format.Deps(c.App.Writer, kind, out, format.TargetsOptions{WithNames: all || len(names) > 1})
				})
			})
		},
	}
}

// devName names a device number: its dm name, else its kernel name.
func devName(ctl *dmctl.Control, dev dmctl.Dev) string {
	if info, err := ctl.InfoByDev(dev); err == nil && info.Name != "" {
		return info.Name
	}
	if n := dmctl.BlockName(dev); n != "" {
		return n
	}
	return dev.String()
}
