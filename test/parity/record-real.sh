#!/bin/bash
# Regenerate test/parity/real-blcr.jsonl, the real BLCR module's observations of the parity
# scenarios, in a VM of the BLCR lab (../shared/blcr-lab/README.md: Linux 3.10 with BLCR 0.8.6_b4).
#   BLCR_LAB=DIR test/parity/record-real.sh [--check]
# DIR is the lab's work directory (W of build-and-boot.sh: out/bzImage, install/, vm/vmrun.sh).
# --check compares a fresh run with the committed record instead of writing it (exit 1 if they
# differ). Either way the run fails if the guest's kernel log reports a BUG or an Oops.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
record=$root/test/parity/real-blcr.jsonl
check=0
[ "${1:-}" = --check ] && check=1
lab=${BLCR_LAB:-}
[ -n "$lab" ] || { echo "record-real.sh: set BLCR_LAB to the BLCR lab's work directory" >&2; exit 2; }
for f in out/bzImage vm/vmrun.sh install/lib/libcr_run.so.0; do
	[ -e "$lab/$f" ] || { echo "record-real.sh: $lab/$f missing (build-and-boot.sh all)" >&2; exit 2; }
done
make -s -C "$root/test/kernel"
mkdir -p "$lab/jobs"
job=$(mktemp -d "$lab/jobs/parity.XXXXXX")
cat > "$job/cmd" <<CMD
I=$lab/install; KVER=\$(uname -r)
busybox insmod \$I/lib/blcr/\$KVER/blcr_imports.ko || exit 10
busybox insmod \$I/lib/blcr/\$KVER/blcr.ko || exit 11
bash $root/test/parity/run-real.sh \$I $job/real.jsonl; rc=\$?
dmesg > $job/dmesg.txt
exit \$rc
CMD
rc=0
TIMEOUT=${TIMEOUT:-600} "$lab/vm/vmrun.sh" "$job" > "$job/console.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "record-real.sh: the guest run failed (status $rc); see $job/console.log" >&2
	tail -n 20 "$job/console.log" >&2
	exit 1
fi
if grep -E 'BUG|Oops|general protection' "$job/dmesg.txt" >&2; then
	echo "record-real.sh: the kernel complained (above; all of it in $job/dmesg.txt)" >&2
	exit 1
fi
if [ "$check" -eq 1 ]; then
	if ! diff -u "$record" "$job/real.jsonl"; then
		echo "record-real.sh: the real module's observations differ from $record" >&2
		exit 1
	fi
	echo "record-real.sh: identical to the record ($(wc -l < "$record") scenarios)"
else
	cp "$job/real.jsonl" "$record"
	echo "record-real.sh: wrote $record ($(wc -l < "$record") scenarios)"
fi
rm -rf "$job"
