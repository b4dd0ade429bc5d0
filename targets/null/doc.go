// Package null is a ublk target that completes every request at once without touching data,
// like the kernel's null_blk: reads return whatever the buffer held. It measures the cost of
// the ublk path itself (`dadi serve --null`, `dadi bench --null`).
package null
