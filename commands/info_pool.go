package commands

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

// poolInfo prints the pool report of --root: the devicemapper section of
// `docker info`, then dmctl's own keys; in loop mode Docker's loopback
// warning goes to standard error.
func poolInfo(c *cli.Context, kind format.Kind) error {
	return withControl(func(ctl *dmctl.Control) error {
		opts := pool.OpenOptions{NameWord: c.String(flagPrefix)}
		p, err := pool.Open(c.String(flagRoot), poolEnv(ctl), opts)
		if err != nil {
			return err
		}
		defer p.Close()
		d, err := p.DockerInfo()
		if err != nil {
			return err
		}
		d.LibraryVersion = toolVersion()
		d.UdevSyncSupported = udevSync()
		if v, err := ctl.Version(); err == nil {
			d.KernelDriverVersion = v.String()
		}
		if tv, err := ctl.TargetVersion("thin-pool"); err == nil {
			d.ThinPoolTargetVersion = tv.Version.String()
		}
		if kind == format.JSON {
			return format.KeyValues(c.App.Writer, kind, "", infoKVs(&d, kind))
		}
		// KeyValues would print "TITLE:"; docker info prints the driver
		// on the title line, then the pairs indented by two spaces.
		if _, err := fmt.Fprintln(c.App.Writer, "Storage Driver: devicemapper"); err != nil {
			return err
		}
		if err := format.KeyValues(c.App.Writer, kind, "", infoKVs(&d, kind)); err != nil {
			return err
		}
		for _, w := range d.Warnings() {
			if _, err := fmt.Fprintln(c.App.ErrWriter, w); err != nil {
				return err
			}
		}
		return nil
	})
}

// infoKVs turns the report into key/value lines: Docker's text for
// people, the stable snake_case keys and typed values for JSON.
func infoKVs(d *pool.DockerInfo, kind format.Kind) []format.KV {
	if kind == format.JSON {
		pairs := d.JSONPairs()
		kvs := make([]format.KV, 0, len(pairs))
		for _, p := range pairs {
			kvs = append(kvs, format.KV{Key: p.Key, Value: fmt.Sprint(p.Value), JSONKey: p.Key, JSONValue: p.Value})
		}
		return kvs
	}
	pairs := d.Pairs()
	kvs := make([]format.KV, 0, len(pairs))
	for _, p := range pairs {
		kvs = append(kvs, format.KV{Key: "  " + p.Key, Value: fmt.Sprint(p.Value)})
	}
	return kvs
}

// udevSync reports whether device nodes are synchronised with udev, as
// dmctl does it: dmctl waits for udev's node when udev runs (and
// DM_DISABLE_UDEV is unset) and makes the node itself otherwise.
func udevSync() bool {
	if os.Getenv("DM_DISABLE_UDEV") != "" {
		return false
	}
	_, err := os.Stat("/run/udev/control")
	return err == nil
}
