#!/bin/bash
# Smoke: the guest is what the other scenarios assume it is.
# Debian's 6.1 kernel, the device-mapper modules loaded, /dev/mapper/control, dmsetup, node and
# `cr` from the shared tree, the test kernel library built.
# timeout: 1200
. "$CR_ROOT/test/vm/lib.sh"

step "kernel"
rel=$(uname -r)
note "uname -r: $rel"
[[ $rel =~ ^6\.1\.[0-9]+-[0-9]+-amd64$ ]] || fail "not a Debian 6.1 amd64 kernel: $rel"
grep -q 'Debian' /proc/version || fail "/proc/version does not name Debian: $(cat /proc/version)"

step "modules"
# The kernel package is unpacked on the host, not installed: its modules are bound here.
[ -n "${CRVM_MODULES:-}" ] || fail "CRVM_MODULES not set by the runner"
mountpoint -q "/lib/modules/$rel" || fail "/lib/modules/$rel is not the runner's unpacked modules directory"
for m in loop dm_mod dm_mirror dm_log_userspace dm_log dm_region_hash; do
	grep -q "^$m " /proc/modules || fail "module $m not loaded"
done
[ -c /dev/mapper/control ] || fail "/dev/mapper/control missing"
[ "$DM_DISABLE_UDEV" = 1 ] || fail "DM_DISABLE_UDEV not set"

step "dmsetup"
dmsetup version
dmsetup targets | tee targets.txt
for t in mirror linear; do
	grep -q "^$t " targets.txt || fail "dm target $t missing"
done

step "loop + linear"
LOOPS=($(make_loops 16 1))
sectors=$(blockdev --getsz "${LOOPS[0]}")
assert_eq 32768 "$sectors" "loop device size (sectors)"
dm_create smoke-lin "0 $sectors linear ${LOOPS[0]} 0"
dd if=/dev/zero of=/dev/mapper/smoke-lin bs=1M count=4 oflag=direct status=none
dm_remove smoke-lin

step "node"
v=$(node --version)
note "node $v"
[[ $v =~ ^v([0-9]+)\. ]] && [ "${BASH_REMATCH[1]}" -ge 20 ] || fail "node 20+ needed, found $v"

step "cr --version"
[ -f "$CR_ROOT/bin/cr.js" ] || fail "CR_ROOT=$CR_ROOT has no bin/cr.js"
want=$(node -p "require('$CR_ROOT/package.json').version")
got=$(cr --version)
note "cr --version: $got"
[[ $got == *"$want"* ]] || fail "cr --version does not show $want: $got"

step "test kernel library"
[ -f "$CR_ROOT/test/kernel/build/libcr_testkernel.so" ] || fail "test/kernel/build/libcr_testkernel.so missing"
LD_PRELOAD=$CR_ROOT/test/kernel/build/libcr_testkernel.so CR_TESTKERNEL_DIR=$CR_SCRATCH true
