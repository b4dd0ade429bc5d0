package job

import (
	"encoding/json"
	"fmt"
)

// Exit statuses of vmrun's own failures, as timeout(1) and the shell use them, so they stay
// apart from the ordinary statuses of a command. The guest reports the last three; the host
// makes the first and passes the others on.
const (
	StatusTimeout    = 124
	StatusFailed     = 125
	StatusCannotExec = 126
	StatusNotFound   = 127
)

// Report is the guest's last word, sent on the control port.
type Report struct {
	// Started marks the line the guest sends just before it starts the command; the rest of
	// the fields come in the last line, when the command is done.
	Started bool `json:"started,omitempty"`
	// Uptime is the guest kernel's clock when the line was sent, in seconds.
	Uptime float64 `json:"uptime,omitempty"`
	// Status is the command's exit status, 128+signal if a signal killed it.
	Status int `json:"status"`
	// Error, if set, says why the guest could not run the command at all.
	Error string `json:"error,omitempty"`
	// Stdout and Stderr count the bytes the guest sent on each port, so the host knows when
	// it has received everything before it lets the guest power off.
	Stdout int64 `json:"stdout"`
	Stderr int64 `json:"stderr"`
}

// ReportAck is the host's answer once it has all output; the guest powers off on it.
const ReportAck = "ok\n"

// EncodeReport renders r as one line.
func EncodeReport(r Report) []byte {
	b, _ := json.Marshal(r) // A struct of strings and ints always encodes.
	return append(b, '\n')
}

// DecodeReport parses one line that EncodeReport wrote.
func DecodeReport(line []byte) (Report, error) {
	var r Report
	if err := json.Unmarshal(line, &r); err != nil {
		return Report{}, fmt.Errorf("decoding guest report %q: %w", line, err)
	}
	return r, nil
}
