package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// MonitorRecord is one action of pool monitor, printed as one line on
// standard error: for people a timestamped sentence, for programs
// (--output json) one JSON object per line (JSON lines).
type MonitorRecord struct {
	Time               OptTime   `json:"time" doc:"when the action was taken"`
	Action             string    `json:"action" doc:"start, stop, extend, limit (would grow but may not), warn (cannot grow), low-water-mark, mode, inactive or error"`
	Root               OptString `json:"root" doc:"the pool's root; null for the monitor's own start and stop"`
	PoolName           OptString `json:"pool_name" doc:"the pool's device-mapper name; null for the monitor's own start and stop"`
	Resource           OptString `json:"resource" doc:"data or metadata; null when the action is about the pool"`
	UsedPercent        *float64  `json:"used_percent" doc:"the resource's use, in percent, when it crossed; null without a resource"`
	ThresholdPercent   *uint64   `json:"threshold_percent" doc:"the threshold it crossed; null without a resource"`
	FromBytes          *uint64   `json:"from_bytes" doc:"extend and limit: the resource's size before; null otherwise"`
	ToBytes            *uint64   `json:"to_bytes" doc:"extend: the resource's size after (limit: where it stays); null otherwise"`
	LowWaterMarkBlocks *uint64   `json:"low_water_mark_blocks" doc:"low-water-mark: the pool's new low water mark, in data blocks; null otherwise"`
	DurationMillis     *int64    `json:"duration_milliseconds" doc:"how long the action took; null when it took no time worth saying"`
	Method             OptString `json:"method" doc:"extend: how the pool grew, \"loop file\" or \"lvextend\"; null otherwise"`
	Message            string    `json:"message" doc:"the action in words, as the line for people says it"`
}

// Monitor prints one monitor action: for people "TIME dmctl monitor: pool
// NAME: MESSAGE in TOOK", for programs the record as one JSON object on
// one line.
func Monitor(out Output, r MonitorRecord) error {
	k, err := out.Kind.resolve("monitor event")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if k == JSON {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("render monitor event as json: %w", err)
		}
		return flush(out.W, "monitor event", &b)
	}
	b.WriteString(r.Time.UTC().Format(time.RFC3339) + " dmctl monitor: ")
	if r.PoolName != "" {
		b.WriteString("pool " + string(r.PoolName) + ": ")
	}
	b.WriteString(r.Message)
	if r.DurationMillis != nil {
		b.WriteString(" in " + (time.Duration(*r.DurationMillis) * time.Millisecond).String())
	}
	b.WriteByte('\n')
	return flush(out.W, "monitor event", &b)
}
