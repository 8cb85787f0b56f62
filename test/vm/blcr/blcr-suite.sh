#!/bin/bash
# BLCR's own test suite, all of RUN_ME with BLCR's own tools, on the lane's kernel and modules:
# every test passes except bug2524, which is PowerPC-only and reports itself not run. hugetlbfs
# gets a hugetlbfs mount and huge pages, so it runs (and must pass). This checks the lane itself:
# kernel, modules, userland and guest are a sound BLCR installation.
# timeout: 600
. "$CR_ROOT/test/vm/lib.sh"

# Tests allowed (and expected) to report "not run", with why.
declare -A NOT_RUN=([bug2524]="PowerPC only")

step "hugetlbfs"
mkdir -p /crvm/hugetlbfs
mount -t hugetlbfs none /crvm/hugetlbfs
at_cleanup "umount /crvm/hugetlbfs"
echo 16 > /proc/sys/vm/nr_hugepages
note "huge pages: $(cat /proc/sys/vm/nr_hugepages) of $(awk '/Hugepagesize/ { print $2 $3 }' /proc/meminfo)"
[ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ] || fail "no huge pages could be reserved"

step "RUN_ME"
mapfile -t TESTS < <(blcr_tests)
note "${#TESTS[@]} tests"
[ "${#TESTS[@]}" -ge 60 ] || fail "RUN_ME lists only ${#TESTS[@]} tests: ${TESTS[*]}"
rc=0
run_me --test-timeout 180 blcr "$CR_BLCR_PREFIX/bin" || rc=$?
note "RUN_ME status $rc"

step "verdicts"
bad=()
passed=0
for t in "${TESTS[@]}"; do
	r=$(run_me_result blcr "$t")
	if [ -n "${NOT_RUN[$t]:-}" ]; then
		[ "$r" = SKIP ] || bad+=("$t: $r, expected SKIP (${NOT_RUN[$t]})")
	elif [ "$r" = PASS ]; then
		passed=$((passed + 1))
	else
		bad+=("$t: $r")
	fi
done
note "$passed passed, ${#NOT_RUN[@]} not run as expected (${!NOT_RUN[*]}), ${#bad[@]} otherwise"
note "slowest (s): $(awk '{ printf "%s %.1f\n", $1, $4 - $3 }' "$CR_JOB/run_me/blcr/times" | sort -k2,2nr | head -n 5 | paste -sd' ')"
if [ "${#bad[@]}" -gt 0 ]; then
	for b in "${bad[@]}"; do
		echo "  $b"
		run_me_log blcr "${b%%:*}"
	done
	fail "${#bad[@]} of ${#TESTS[@]} BLCR tests did not pass with BLCR's own tools: ${bad[*]%%:*}"
fi
[ "$rc" = 0 ] || fail "RUN_ME exited $rc although every test passed"
