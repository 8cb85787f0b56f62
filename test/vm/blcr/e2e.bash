# cr's end-to-end tests (the host lane's mocha files) in the BLCR lane's guest, against the real
# module: sourced by the e2e-*.sh scenarios after lib.sh (it is not a scenario itself).
#
# run_e2e [--expect N] [--grep RE] FILE...: mocha on FILE... (paths under dist/test, compiled on the
# host before the lane) with CR_TEST_KERNEL=blcr (test/helpers/kernel.ts: no test kernel, targets
# under $CR_BLCR_PREFIX/lib/libcr_run.so.0, waits scaled) and TMPDIR in the scratch tmpfs; --grep
# selects tests by title, and --expect says how many it must select (a renamed test then fails the
# scenario instead of dropping out of it). The spec report goes to the console and
# $CR_JOB/mocha.txt. Fails unless every selected test passes; tests that hold for the test kernel
# only are reported pending under a title that says why.
run_e2e() {
	local grep=() expect=
	while [ $# -gt 0 ]; do
		case $1 in
		--grep) grep=(--grep "$2"); shift 2 ;;
		--expect) expect=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ -e /proc/checkpoint/ctrl ] || fail "no /proc/checkpoint/ctrl: the BLCR modules are not loaded"
	[ -n "${CR_BLCR_PREFIX:-}" ] || fail "CR_BLCR_PREFIX is not set"
	local f
	for f in "$@"; do
		[ -f "$CR_ROOT/$f" ] || fail "$CR_ROOT/$f missing: build on the host first (npm run build)"
	done
	export CR_TEST_KERNEL=blcr TMPDIR=$CR_SCRATCH/tmp
	mkdir -p "$TMPDIR"
	step "mocha (CR_TEST_KERNEL=blcr) ${grep[*]} $*"
	local rc=0
	(cd "$CR_ROOT" && node node_modules/mocha/bin/mocha.js --no-config --require dist/test/helpers/hooks.js \
		--forbid-only --reporter spec "${grep[@]}" "$@") < /dev/null 2>&1 | tee "$CR_JOB/mocha.txt" || rc=$?
	local passing failing pending
	passing=$(sed -n 's/^ *\([0-9]*\) passing.*/\1/p' "$CR_JOB/mocha.txt")
	failing=$(sed -n 's/^ *\([0-9]*\) failing.*/\1/p' "$CR_JOB/mocha.txt")
	pending=$(sed -n 's/^ *\([0-9]*\) pending.*/\1/p' "$CR_JOB/mocha.txt")
	note "mocha status $rc: ${passing:-0} passing, ${failing:-0} failing, ${pending:-0} pending (test kernel only, each title says why)"
	[ "$rc" = 0 ] || fail "mocha exited $rc (${failing:-?} failing): see above or $CR_JOB/mocha.txt"
	[ "${passing:-0}" -gt 0 ] || fail "mocha ran no test"
	if [ -n "$expect" ] && [ $((passing + ${pending:-0})) != "$expect" ]; then
		fail "the selection matched $((passing + ${pending:-0})) tests, expected $expect (a test renamed?)"
	fi
}
