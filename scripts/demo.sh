#!/bin/sh
# The dadi demo, run inside the VM by `make demo` (or directly on a host with ublk, as root):
# serve a file-backed disk through ublk, put ext4 on it, write and read files, show stats;
# then make, commit, serve and trace an overlaybd image.
set -eu
DADI=${1:-$(dirname "$0")/../bin/dadi}
work=$(mktemp -d /tmp/dadi-demo.XXXXXX)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# serve ARGS...: start `dadi serve ARGS` in the background, wait for its ready line, set $dev
# and $daemon.
serve() {
	: >"$work/ready"
	"$DADI" serve "$@" >"$work/ready" 2>>"$work/daemon.log" &
	daemon=$!
	trap 'kill $daemon 2>/dev/null || true' EXIT
	i=0
	until grep -q '^ready ' "$work/ready" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $daemon 2>/dev/null; then
			cat "$work/daemon.log" >&2
			echo "dadi serve $* did not become ready" >&2
			exit 1
		fi
		sleep 0.1
	done
	dev=$(sed -n 's/^ready //p' "$work/ready")
}
stop_daemon() {
	kill -TERM $daemon
	wait $daemon
	trap - EXIT
}

say "kernel ublk features"
"$DADI" features

say "serve a 512 MiB file-backed disk (2 queues, pinned)"
truncate -s 512M "$work/disk.img"
serve -v --file "$work/disk.img" --queues 2
echo "device: $dev"
grep -E 'queue placement' "$work/daemon.log" | sed 's/^.*msg=/  /'
"$DADI" list

say "mkfs.ext4 and mount"
mkfs.ext4 -q -F "$dev"
mkdir -p "$work/mnt"
mount "$dev" "$work/mnt"
df -h "$work/mnt" | tail -1

say "write 50 files (1 MiB each) and read them back"
i=0
while [ $i -lt 50 ]; do
	head -c 1048576 /dev/urandom >"$work/mnt/file$i"
	i=$((i + 1))
done
( cd "$work/mnt" && sha256sum file* >"$work/sums" )
sync
umount "$work/mnt"
e2fsck -fn "$dev" >/dev/null && echo "e2fsck: clean"
mount "$dev" "$work/mnt"
( cd "$work/mnt" && sha256sum -c --quiet "$work/sums" ) && echo "all 50 files read back intact"
umount "$work/mnt"

say "4k random reads through the device (fio, 5 s)"
fio --name=demo --filename="$dev" --rw=randread --bs=4k --ioengine=io_uring --direct=1 \
	--iodepth=32 --time_based --runtime=5s --group_reporting 2>/dev/null |
	grep -E '^\s+(read:|lat \(usec\)|clat percentiles)' | head -3

say "block device stats (/sys/block/$(basename "$dev")/stat)"
awk '{printf "  reads: %d (%d sectors)  writes: %d (%d sectors)  flushes: %d\n", $1, $3, $5, $7, $16}' \
	"/sys/block/$(basename "$dev")/stat"

say "stop"
stop_daemon
"$DADI" list
echo "the device is gone and the backing file holds the file system"


say "an image: a writable overlaybd layer, served, with ext4 on it"
"$DADI" create "$work/up.data" "$work/up.index" 256M
printf '{"lowers":[],"upper":{"data":"%s","index":"%s"},"resultFile":"%s"}\n' \
	"$work/up.data" "$work/up.index" "$work/result" >"$work/base.json"
serve --config "$work/base.json"
echo "device: $dev (result file: $(cat "$work/result"))"
mkfs.ext4 -q -F "$dev"
mount "$dev" "$work/mnt"
cp -r /usr/local/go/src/net/http "$work/mnt/http"
( cd "$work/mnt" && find http -type f | sort | xargs sha256sum >"$work/image-sums" )
echo "copied $(wc -l <"$work/image-sums") files of Go's net/http source into the image"
umount "$work/mnt"
stop_daemon

say "commit the writable layer into a compressed read-only layer (dadi commit -z)"
"$DADI" commit -z --uuid 0bd0f100-d3d0-4000-8000-000000000001 "$work/up.data" "$work/up.index" "$work/layer1.zfile"
"$DADI" info "$work/layer1.zfile" | sed 's/^/  /'
ls -l "$work/up.data" "$work/layer1.zfile" | awk '{printf "  %-12s %s\n", $5, $9}'

say "serve the committed layer as a read-only lower and record which blocks a 'startup' reads"
printf '{"lowers":[{"file":"%s"}]}\n' "$work/layer1.zfile" >"$work/ro.json"
serve --config "$work/ro.json"
mount -o ro "$dev" "$work/mnt"
if "$DADI" trace record --dev "$dev" --duration 4s -o "$work/startup.trace" 2>"$work/trace.log" & then
	tracer=$!
	sleep 1
	( cd "$work/mnt" && sha256sum -c --quiet "$work/image-sums" ) && echo "every file reads back from the compressed layer"
	wait $tracer || cat "$work/trace.log"
	"$DADI" trace show "$work/startup.trace" | head -12 | sed 's/^/  /'
fi
umount "$work/mnt"
stop_daemon
"$DADI" list
echo "done"
