#!/bin/bash
# dm-mirror with the kernel's own disk log on a third loop device: documents the on-disk format
# the kernel writes (dm-log.c), which our own log server has to match.
#   byte 0: magic 0x4D695272 (le: 72 52 69 4d)   byte 4: version 2 (le32)   byte 8: region count (le64)
#   byte 1024 (LOG_OFFSET 2 sectors): clean bitmap, little-endian bit order, one bit per region;
#   bits past the region count up to the word boundary are 0.
# And: a mirror re-created over a clean log starts fully in sync (no resync).
# timeout: 1200
. "$CR_ROOT/test/vm/lib.sh"

REGION=1024   # sectors (512 KiB)

# log_hex OFFSET COUNT: COUNT bytes of the log device from byte OFFSET, as "72 52 69 4d ...",
# read with O_DIRECT (the kernel writes the log with dm-io, past the page cache).
log_hex() {
	dd if="$LOG" bs=4096 count=1 iflag=direct status=none | od -An -v -tx1 -j "$1" -N "$2" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}
# rep WORD N: WORD repeated N times, space separated.
rep() { local i out=; for ((i = 0; i < $2; i++)); do out+="${out:+ }$1"; done; echo "$out"; }

step "loops: two 50 MiB legs (100 regions) and a 1 MiB log"
LEGS=($(make_loops 50 2))
LOGS=($(make_loops 1 1))
A=${LEGS[0]} B=${LEGS[1]} LOG=${LOGS[0]}
N=$(blockdev --getsz "$A")
REGIONS=$(((N + REGION - 1) / REGION))
assert_eq 100 "$REGIONS" "region count"

step "create mirror disk"
dm_create md "0 $N mirror disk 2 $LOG $REGION 2 $A 0 $B 0"
dmsetup table md
dmsetup status md
dd if=/dev/urandom of=/dev/mapper/md bs=1M count=8 oflag=direct status=none

step "full sync"
wait_mirror_synced md 1200
assert_eq "100/100" "$(mirror_sync_count md)" "sync count"

step "on-disk header"
hdr=$(log_hex 0 16)
note "header: $hdr"
assert_eq "72 52 69 4d" "$(log_hex 0 4)" "magic 0x4D695272 at byte 0"
assert_eq "02 00 00 00" "$(log_hex 4 4)" "version at byte 4"
assert_eq "64 00 00 00 00 00 00 00" "$(log_hex 8 8)" "region count (100) at byte 8"

step "on-disk clean bitmap at byte 1024"
# 100 regions: 12 bytes of ff, then bits 96..99 (0x0f), then zero up to the 128-bit boundary.
want="$(rep ff 12) 0f 00 00 00"
wait_for '[ "$(log_hex 1024 16)" = "$want" ]' 1200 || fail "clean bitmap: expected '$want', got '$(log_hex 1024 16)'"
note "bitmap: $(log_hex 1024 16)"

step "suspend flushes a clean log"
dmsetup suspend --noudevsync md
assert_eq "$want" "$(log_hex 1024 16)" "clean bitmap while suspended"
dmsetup resume --noudevsync md

step "after a further write the bitmap returns to all clean"
dd if=/dev/urandom of=/dev/mapper/md bs=4k count=1 seek=$((REGION * 512 * 50 / 4096)) oflag=direct status=none
wait_for '[ "$(log_hex 1024 16)" = "$want" ]' 1200 || fail "bitmap not clean again: $(log_hex 1024 16)"

step "re-create over the clean log: no resync"
dm_remove md
assert_eq "$want" "$(log_hex 1024 16)" "clean bitmap after remove"
dm_create md "0 $N mirror disk 2 $LOG $REGION 2 $A 0 $B 0"
assert_eq "100/100" "$(mirror_sync_count md)" "sync count right after re-create"
dm_remove md
