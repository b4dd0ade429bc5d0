package ublk

import (
	"math/bits"
	"strconv"
)

var featureNames = map[uint64]string{
	FSupportZeroCopy:     "zero_copy",
	FURingCmdCompInTask:  "uring_cmd_comp_in_task",
	FNeedGetData:         "need_get_data",
	FUserRecovery:        "user_recovery",
	FUserRecoveryReissue: "user_recovery_reissue",
	FUnprivilegedDev:     "unprivileged_dev",
	FCmdIoctlEncode:      "cmd_ioctl_encode",
	FUserCopy:            "user_copy",
	FZoned:               "zoned",
	FUserRecoveryFailIO:  "user_recovery_fail_io",
	FUpdateSize:          "update_size",
	FAutoBufReg:          "auto_buf_reg",
	FQuiesce:             "quiesce",
	FPerIODaemon:         "per_io_daemon",
	FBufRegOffDaemon:     "buf_reg_off_daemon",
	FBatchIO:             "batch_io",
	FIntegrity:           "integrity",
	FSafeStopDev:         "safe_stop_dev",
	FNoAutoPartScan:      "no_auto_part_scan",
}

// FeatureNames spells out UBLK_F_* bits, lowest first; unknown bits appear as "bitN".
func FeatureNames(flags uint64) []string {
	var out []string
	for flags != 0 {
		b := uint64(1) << bits.TrailingZeros64(flags)
		flags &^= b
		if n, ok := featureNames[b]; ok {
			out = append(out, n)
		} else {
			out = append(out, "bit"+strconv.Itoa(bits.TrailingZeros64(b)))
		}
	}
	return out
}

// StateName spells out a device state.
func StateName(s uint16) string {
	switch s {
	case StateDead:
		return "dead"
	case StateLive:
		return "live"
	case StateQuiesced:
		return "quiesced"
	case StateFailIO:
		return "fail_io"
	}
	return "state" + strconv.Itoa(int(s))
}
