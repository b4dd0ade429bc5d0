package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/dadi-dev/dadi/internal/units"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// deviceRow is one device as `dadi list` shows it.
type deviceRow struct {
	ID          int    `json:"id"`
	State       string `json:"state"`
	Queues      int    `json:"queues"`
	Depth       int    `json:"depth"`
	Size        int64  `json:"size"`
	PID         int    `json:"pid"`
	DaemonAlive bool   `json:"daemon_alive"`
	Target      string `json:"target"`
	Recovery    bool   `json:"recovery"`
	BlockDevice string `json:"block_device,omitempty"`
}

func newListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List ublk devices: id, state, queues, depth, size, daemon pid, target",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rows, err := listDevices()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if rows == nil {
					rows = []deviceRow{}
				}
				return enc.Encode(rows)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tQUEUES\tDEPTH\tSIZE\tPID\tTARGET")
			for _, r := range rows {
				pid := fmt.Sprint(r.PID)
				if !r.DaemonAlive {
					pid += " (gone)"
				}
				fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\n", r.ID, r.State, r.Queues, r.Depth, units.Format(r.Size), pid, r.Target)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func listDevices() ([]deviceRow, error) {
	ids, err := ublk.DeviceIDs()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	ctrl, err := ublk.OpenControl()
	if err != nil {
		return nil, err
	}
	defer ctrl.Close()
	var rows []deviceRow
	for _, id := range ids {
		info, err := ctrl.GetDevInfo(uint32(id))
		if err != nil {
			continue // deleted between the listing and now
		}
		size, _ := ctrl.Size(uint32(id))
		r := deviceRow{
			ID: id, State: ublk.StateName(info.State), Queues: int(info.NrHWQueues), Depth: int(info.QueueDepth),
			Size: size, PID: int(info.UblksrvPID), DaemonAlive: processAlive(int(info.UblksrvPID)),
			Target: kindName(info.UblksrvFlags), Recovery: info.Flags&ublk.FUserRecovery != 0,
		}
		if s, ok := readState(id); ok && s.PID == r.PID {
			r.Target = s.Target
		}
		if info.State == ublk.StateLive {
			r.BlockDevice = ublk.BlockPath(id)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}
