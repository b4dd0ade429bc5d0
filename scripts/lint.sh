#!/bin/sh
# Runs staticcheck, built from the Go module proxy at a pinned version, over the tree with and
# without the vm tag. A finding listed in scripts/staticcheck-known.txt (by file, message and
# check; not by line, which moves) is shown but does not fail: it sits in code that others
# are changing, and goes from the list when it is fixed there. Any other finding fails.
set -eu
GO=${GO:-go}
VERSION=${STATICCHECK_VERSION:?set STATICCHECK_VERSION}
known=scripts/staticcheck-known.txt
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for tags in "" vm; do
	$GO run "honnef.co/go/tools/cmd/staticcheck@$VERSION" -tags "$tags" ./... >>"$out" 2>&1 || true
done
fail=0
for line in $(grep -v '^exit status' "$out" | sort -u | tr ' ' '\001'); do
	line=$(printf '%s' "$line" | tr '\001' ' ')
	# "path:line:col: message (CHECK)" is listed as "path: message (CHECK)".
	if printf '%s\n' "$line" | sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /' | grep -qxF -f "$known"; then
		echo "lint: known, to be fixed there: $line"
	else
		echo "$line" >&2
		fail=1
	fi
done
[ "$fail" = 0 ] || { echo "lint: staticcheck $VERSION found the above" >&2; exit 1; }
echo "lint: staticcheck $VERSION: no new findings"
