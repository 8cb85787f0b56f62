#!/bin/bash
# The parity scenarios on the real BLCR module, inside a guest where it is loaded (the BLCR lane's
# test/vm/blcr/parity.sh, or test/parity/record-real.sh through the BLCR lab's VM).
#   run-real.sh BLCR_PREFIX OUT.jsonl
# BLCR_PREFIX is BLCR's install prefix (lib/libcr_run.so.0, lib/libcr_omit.so.0). Runs as root
# (the permission scenarios switch users). Exit status: the probe's.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: run-real.sh BLCR_PREFIX OUT.jsonl" >&2; exit 2; }
prefix=$1 out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
probe=$root/test/kernel/build/parity
[ -x "$probe" ] || { echo "run-real.sh: $probe missing (make -C test/kernel)" >&2; exit 2; }
[ -e /proc/checkpoint/ctrl ] || { echo "run-real.sh: /proc/checkpoint/ctrl missing (BLCR not loaded)" >&2; exit 2; }
for lib in libcr_run.so.0 libcr_omit.so.0; do
	[ -f "$prefix/lib/$lib" ] || { echo "run-real.sh: $prefix/lib/$lib missing" >&2; exit 2; }
done
# Scratch space other users can reach (the permission scenarios' requesters and targets).
tmp=$(mktemp -d /tmp/parity.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
env -u LD_PRELOAD LD_LIBRARY_PATH="$prefix/lib" \
	PARITY_RUN="$prefix/lib/libcr_run.so.0" PARITY_OMIT="$prefix/lib/libcr_omit.so.0" \
	PARITY_KMSG=/dev/kmsg PARITY_TMP="$tmp" \
	"$probe" "$root/test/parity/scenarios.txt" > "$out"
