package commands

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// positional returns the command's positional arguments, taking the
// command's own flags wherever they appear among them ("snapshot create ID
// --origin X", as well as "snapshot create --origin X ID"), and checks
// their number: at least min, at most max (max < 0: no limit).
func positional(c *cli.Context, min, max int, names string) ([]string, error) {
	in := c.Args().Slice()
	var args []string
	if len(in) > 0 && len(in[0]) > 1 && in[0][0] == '-' {
		// The flag parser stopped at a flag-like word only after "--":
		// everything left is positional.
		args, in = in, nil
	}
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			args = append(args, in[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			args = append(args, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := commandFlag(c.Command, name)
		if f == nil {
			return nil, usagef("%s: flag provided but not defined: %s", c.Command.FullName(), a)
		}
		if _, isBool := f.(*cli.BoolFlag); isBool {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(in) {
				return nil, usagef("%s: flag needs an argument: %s", c.Command.FullName(), a)
			}
			i++
			value = in[i]
		}
		if err := c.Set(name, value); err != nil {
			return nil, usagef("%s: invalid value %q for flag %s: %v", c.Command.FullName(), value, a, err)
		}
	}
	if len(args) < min || max >= 0 && len(args) > max {
		return nil, usagef("%s: want %s, got %d argument(s)", c.Command.FullName(), names, len(args))
	}
	return args, nil
}

// commandFlag returns the command's flag of that name or alias, or nil.
func commandFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}
