# Scenario library of the kernel lane (bash). A scenario starts with
#     . "$CR_ROOT/test/vm/lib.sh"
# which turns on `set -Eeuo pipefail`, an ERR trap that names the failing command and line, and an
# EXIT trap running `cleanup` (background processes, dm devices, loop devices made through here),
# which tears all of it down whatever state a failed step left it in, with every wait bounded.
#
# The guest sets: CR_ROOT (repo root, read-only), CR_JOB=/job (writable, shared with the host),
# CR_SCRATCH=/crvm/scratch (guest tmpfs, the working dir), CR_SCENARIO, CR_TIMEOUT, DM_DISABLE_UDEV=1,
# CR_BIN_DIR (wrappers for the package's commands, first in PATH), CRVM_KERNEL (debian or blcr);
# with the blcr kernel also CR_BLCR_PREFIX (BLCR's install dir), LD_LIBRARY_PATH and TMPDIR.
# The BLCR helpers at the end (run_me ...) need the blcr kernel; the rest works with both.
# Everything made here is recorded in state files under $CR_SCRATCH/.lib, so helpers also work
# when called inside $(...).

set -Eeuo pipefail

: "${CR_JOB:=/job}" "${CR_SCRATCH:=/crvm/scratch}" "${CR_SCENARIO:=scenario}"
export DM_DISABLE_UDEV=1
_LIB_STATE=$CR_SCRATCH/.lib
mkdir -p "$_LIB_STATE" "$CR_JOB/bg"
touch "$_LIB_STATE/bg" "$_LIB_STATE/services" "$_LIB_STATE/dm" "$_LIB_STATE/loops" "$_LIB_STATE/pre"
_LIB_T0=${EPOCHREALTIME/,/.}
_LIB_STEP=start

# Seconds since the scenario began, one decimal.
elapsed() {
	local now=${EPOCHREALTIME/,/.}
	awk -v a="$_LIB_T0" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

# step NAME...: print a timed step line; failures name the step they happened in.
step() {
	_LIB_STEP="$*"
	printf '[%6ss] == %s\n' "$(elapsed)" "$*"
}

# note MSG...: a timed informational line.
note() {
	printf '[%6ss]    %s\n' "$(elapsed)" "$*"
}

# fail MSG...: end the scenario with status 1.
fail() {
	printf '[%6ss] FAIL in step "%s": %s\n' "$(elapsed)" "$_LIB_STEP" "$*" >&2
	exit 1
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# wait_for CMD TIMEOUT_S: evaluate CMD (a string) every 0.2 s until it succeeds; returns 1 and says
# so on timeout. Use as `wait_for '...' 10 || fail "..."`.
wait_for() {
	local cmd=$1 limit=$2 t0=${EPOCHREALTIME/,/.}
	while ! eval "$cmd" >/dev/null 2>&1; do
		if awk -v a="$t0" -v b="${EPOCHREALTIME/,/.}" -v l="$limit" 'BEGIN { exit !(b - a >= l) }'; then
			printf '[%6ss]    wait_for: "%s" still false after %s s\n' "$(elapsed)" "$cmd" "$limit" >&2
			return 1
		fi
		sleep 0.2
	done
}

# make_loops SIZE_MB N: N loop devices over sparse files in the guest tmpfs; prints the device
# paths, one per line. Example: mapfile -t LOOPS < <(make_loops 64 2)
make_loops() {
	local size=$1 n=$2 i f dev
	for ((i = 0; i < n; i++)); do
		f=$(mktemp "$CR_SCRATCH/loop.XXXXXX.img")
		truncate -s "${size}M" "$f"
		dev=$(losetup -f --show "$f")
		printf '%s %s\n' "$dev" "$f" >> "$_LIB_STATE/loops"
		echo "$dev"
	done
}

# dm_create NAME TABLE: dmsetup create (no udev) and remember it for cleanup.
dm_create() {
	echo "$1" >> "$_LIB_STATE/dm"
	dmsetup create --noudevsync "$1" --table "$2"
}

# dm_create_empty NAME: a device with no table yet (load one with `dmsetup load`), remembered for
# cleanup.
dm_create_empty() {
	echo "$1" >> "$_LIB_STATE/dm"
	dmsetup create --noudevsync --notable "$1"
}

# dm_remove NAME: dmsetup remove (retrying while the device is briefly busy).
dm_remove() {
	local i
	for ((i = 0; i < 20; i++)); do
		dmsetup remove --noudevsync "$1" 2>/dev/null && return 0
		sleep 0.25
	done
	dmsetup remove --noudevsync "$1"
}

# dm_state NAME: ACTIVE or SUSPENDED (from dmsetup info).
dm_state() {
	dmsetup info "$1" | awk -F': *' '$1 == "State" { print $2 }'
}

# dm_status_field NAME N: the Nth whitespace-separated field (1-based) of `dmsetup status NAME`.
dm_status_field() {
	dmsetup status "$1" | awk -v n="$2" '{ print $n }'
}

# mirror_sync_count NAME: "IN_SYNC/TOTAL" regions of a mirror, from
# `start len mirror <#legs> <legs...> <in_sync>/<total> ...`.
mirror_sync_count() {
	dmsetup status "$1" | awk '$3 == "mirror" { print $(5 + $4) }'
}

# mirror_synced NAME: true when every region is in sync.
mirror_synced() {
	local c
	c=$(mirror_sync_count "$1")
	[ -n "$c" ] && [ "${c%/*}" = "${c#*/}" ]
}

# wait_mirror_synced NAME TIMEOUT_S: fail unless the mirror reaches full sync in time.
wait_mirror_synced() {
	wait_for "mirror_synced $1" "$2" || fail "mirror $1 not in sync after $2 s: $(dmsetup status "$1")"
}

# start_bg NAME CMD...: run CMD in the background in its own process group, output to
# $CR_JOB/bg/NAME.log (shown by the runner when the scenario fails). Killed by stop_bg / cleanup.
start_bg() {
	local name=$1
	shift
	setsid "$@" > "$CR_JOB/bg/$name.log" 2>&1 < /dev/null &
	echo "$name $!" >> "$_LIB_STATE/bg"
}

# bg_pid NAME: pid (and process group) of a start_bg process.
bg_pid() {
	awk -v n="$1" '$1 == n { p = $2 } END { if (p) print p; else exit 1 }' "$_LIB_STATE/bg"
}

# bg_running NAME: true while the start_bg process is alive.
bg_running() {
	local pid
	pid=$(bg_pid "$1") || return 1
	local state
	state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# bg_log NAME: path of its log.
bg_log() {
	echo "$CR_JOB/bg/$1.log"
}

# _lib_gone PID SECONDS: true once PID has exited (or is a zombie), polling for at most SECONDS.
_lib_gone() {
	local pid=$1 i state
	for ((i = 0; i < $2 * 5; i++)); do
		state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		sleep 0.2
	done
	return 1
}

# _lib_signal_bg NAME: TERM the process group of a start_bg process, KILL it after 5 s. Returns 1
# (saying so) if it is still there 20 s after the KILL (e.g. in uninterruptible I/O on a device
# that never answers); it is then left behind rather than waited for.
_lib_signal_bg() {
	local pid
	pid=$(bg_pid "$1") || return 0
	kill -TERM -- "-$pid" 2>/dev/null || true
	_lib_gone "$pid" 5 || true
	kill -KILL -- "-$pid" 2>/dev/null || true # the rest of its group too
	if _lib_gone "$pid" 20; then
		wait "$pid" 2>/dev/null || true
	else
		echo "cleanup: $1 (pid $pid) did not end after SIGKILL (state $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1), in $(cat "/proc/$pid/wchan" 2>/dev/null))" >&2
		return 1
	fi
}

# stop_bg NAME: TERM its process group, KILL after 5 s; returns once it is gone (1 if it would
# not go, see _lib_signal_bg).
stop_bg() {
	local rc=0
	bg_pid "$1" > /dev/null || return 0
	_lib_signal_bg "$1" || rc=1
	awk -v n="$1" '$1 != n' "$_LIB_STATE/bg" > "$_LIB_STATE/bg.new" && mv "$_LIB_STATE/bg.new" "$_LIB_STATE/bg"
	awk -v n="$1" '$1 != n' "$_LIB_STATE/services" > "$_LIB_STATE/services.new" 2>/dev/null &&
		mv "$_LIB_STATE/services.new" "$_LIB_STATE/services"
	return "$rc"
}

# start_service NAME CMD...: start_bg, for a process the dm devices depend on (a log server):
# cleanup stops it only after the devices are gone.
start_service() {
	start_bg "$@"
	echo "$1" >> "$_LIB_STATE/services"
}

# at_cleanup CMD: run CMD (a string, evaluated) first when cleanup runs, newest first: e.g.
# `at_cleanup "umount /mnt/x"` so that a file system is gone before its device and the
# processes serving it are stopped.
at_cleanup() {
	echo "$1" >> "$_LIB_STATE/pre"
}

# at_dm_teardown CMD: run CMD (a string, evaluated) at cleanup before any dm device is touched,
# while devices remain: e.g. start again a log server that died, since a mirror whose userspace
# log has no server blocks every suspend and remove, in the kernel, for good.
at_dm_teardown() {
	grep -qxF -- "$1" "$_LIB_STATE/dm-teardown" 2>/dev/null || echo "$1" >> "$_LIB_STATE/dm-teardown"
}

# _lib_bounded SECONDS CMD...: run CMD, but return 124 (leaving it behind) if it has not ended in
# SECONDS: a dmsetup stuck in the kernel ignores every signal, so `timeout` would wait for it.
_lib_bounded() {
	local limit=$1 pid
	shift
	"$@" &
	pid=$!
	if _lib_gone "$pid" "$limit"; then
		wait "$pid"
	else
		echo "cleanup: '$*' still running after $limit s: left behind" >&2
		return 124
	fi
}

# _lib_dm_teardown NAME: resume (if suspended) and remove a dm device; if the remove fails, load
# an error table (dmsetup remove --force) and remove again. Returns 1 if the device is still there.
_lib_dm_teardown() {
	local name=$1 i
	dmsetup info "$name" > /dev/null 2>&1 || return 0
	for ((i = 0; i < 10; i++)); do
		_lib_bounded 30 dmsetup remove --noudevsync "$name" 2>/dev/null && return 0
		[ $? = 124 ] && break
		sleep 0.25
	done
	echo "cleanup: dmsetup remove $name failed; replacing its table with the error target" >&2
	_lib_bounded 30 dmsetup remove --noudevsync --force "$name" || true
	dmsetup info "$name" > /dev/null 2>&1 || return 0
	_lib_bounded 30 dmsetup remove --noudevsync "$name" && return 0
	echo "cleanup: could not remove dm device $name: $(dmsetup info "$name" 2>&1 | tr '\n' ' ')" >&2
	return 1
}

# cleanup: tear down everything made through this library, whatever state a failed step left it
# in, in an order that cannot hang: the at_cleanup commands; the at_dm_teardown commands (while dm
# devices remain); every recorded suspended device resumed (so I/O held there completes); the
# background processes stopped (log servers excepted); the dm devices removed, newest first (with
# the error target if a plain remove fails); then the log servers; loops detached and their files
# deleted. Every wait is bounded. Runs at exit; safe to call earlier (it forgets what it removed).
# Returns 1 if something could not be removed.
cleanup() {
	local name pid dev file cmd rc=0 live=()
	set +e
	if [ -s "$_LIB_STATE/pre" ]; then
		while read -r cmd; do eval "$cmd"; done < <(tac "$_LIB_STATE/pre")
		: > "$_LIB_STATE/pre"
	fi
	if [ -s "$_LIB_STATE/dm" ]; then
		for name in $(tac "$_LIB_STATE/dm"); do
			dmsetup info "$name" > /dev/null 2>&1 && live+=("$name")
		done
	fi
	if [ "${#live[@]}" -gt 0 ] && [ -s "$_LIB_STATE/dm-teardown" ]; then
		while read -r cmd; do eval "$cmd"; done < "$_LIB_STATE/dm-teardown"
	fi
	for name in "${live[@]}"; do
		if [ "$(dm_state "$name")" = SUSPENDED ]; then
			_lib_bounded 60 dmsetup resume --noudevsync "$name" || echo "cleanup: could not resume $name" >&2
		fi
	done
	if [ -s "$_LIB_STATE/bg" ]; then
		while read -r name pid; do
			grep -qxF "$name" "$_LIB_STATE/services" 2>/dev/null || stop_bg "$name" || rc=1
		done < <(cat "$_LIB_STATE/bg")
	fi
	for name in "${live[@]}"; do
		_lib_dm_teardown "$name" || rc=1
	done
	if [ -s "$_LIB_STATE/bg" ]; then
		while read -r name pid; do stop_bg "$name" || rc=1; done < <(cat "$_LIB_STATE/bg")
	fi
	if [ -s "$_LIB_STATE/loops" ]; then
		while read -r dev file; do
			losetup -d "$dev" 2>/dev/null || { echo "cleanup: could not detach $dev" >&2; rc=1; }
			rm -f "$file"
		done < "$_LIB_STATE/loops"
	fi
	: > "$_LIB_STATE/bg"
	: > "$_LIB_STATE/services"
	: > "$_LIB_STATE/dm"
	: > "$_LIB_STATE/loops"
	set -e
	return "$rc"
}

# --- BLCR kernel only ---------------------------------------------------------------------------

# blcr_tests: the names of BLCR's whole test suite, in RUN_ME's order, one per line.
blcr_tests() {
	local l
	l=$(grep -m 1 '^  list="[^$]*"$' "$CR_BLCR_PREFIX/libexec/blcr-testsuite/RUN_ME") ||
		fail "no test list in $CR_BLCR_PREFIX/libexec/blcr-testsuite/RUN_ME"
	l=${l#*\"}
	printf '%s\n' ${l%\"}
}

# run_me [--test-timeout S] [--limit S] LABEL TOOLS_DIR [TEST...]: BLCR's RUN_ME (the installed test
# suite; all tests when none are named) with the suite's cr_checkpoint, cr_restart and cr_run set
# to TOOLS_DIR's ($CR_BLCR_PREFIX/bin for BLCR's own, $CR_BIN_DIR for the package's), each test
# under `timeout` (--test-timeout, default 120 s) and the whole run under --limit (default none).
# Writes $CR_JOB/run_me/LABEL/: RUN_ME (the edited copy), out (its output, also printed), one
# TEST.log per test, times ("TEST STATUS START END", guest uptime). Returns RUN_ME's status.
# Read the verdicts with run_me_result.
run_me() {
	local test_timeout=120 limit=0
	while [ $# -gt 0 ]; do
		case $1 in
		--test-timeout) test_timeout=$2; shift 2 ;;
		--limit) limit=$2; shift 2 ;;
		*) break ;;
		esac
	done
	local label=$1 tools=$2
	shift 2
	local suite=$CR_BLCR_PREFIX/libexec/blcr-testsuite out=$CR_JOB/run_me/$label t
	mkdir -p "$out"
	for t in cr_checkpoint cr_restart cr_run; do
		[ -x "$tools/$t" ] || fail "run_me $label: no $t in $tools"
	done
	# RUN_ME finds its tests from its own path (we run a copy) and takes the tools from install-time
	# constants; each test's output goes to its log.
	sed -e "s|^cr_testsdir=\`dirname \$0\`\$|cr_testsdir=$suite|" \
		-e "s#^\(cr_checkpoint\|cr_restart\|cr_run\)=\"[^\"]*\"; export#\1=\"$tools/\1\"; export#" \
		-e "s|^  \$cr_testsdir/\$tst\$|  _t0=\$(cut -d' ' -f1 /proc/uptime); timeout -k 5 $test_timeout \$cr_testsdir/\$tst > $out/\$tst.log 2>\&1; _rc=\$?; echo \"\$tst \$_rc \$_t0 \$(cut -d' ' -f1 /proc/uptime)\" >> $out/times; (exit \$_rc)|" \
		"$suite/RUN_ME" > "$out/RUN_ME"
	[ "$(grep -c "^cr_testsdir=$suite\$" "$out/RUN_ME")" = 1 ] &&
		[ "$(grep -c "^cr_\(checkpoint\|restart\|run\)=\"$tools/" "$out/RUN_ME")" = 3 ] &&
		[ "$(grep -c "timeout -k 5 $test_timeout " "$out/RUN_ME")" = 1 ] ||
		fail "run_me: $suite/RUN_ME is not laid out as expected (the edits did not apply; see $out/RUN_ME)"
	: > "$out/times"
	local timer=()
	[ "$limit" != 0 ] && timer=(timeout -k 5 "$limit")
	note "RUN_ME ($label: tools from $tools, ${test_timeout} s per test${timer:+, $limit s in all}) ${*:-(all tests)}"
	local rc=0
	"${timer[@]}" sh "$out/RUN_ME" "$@" < /dev/null 2>&1 | tee "$out/out" || rc=$?
	return "$rc"
}

# run_me_result LABEL TEST: PASS, FAIL or SKIP from that run_me's output, or NONE (not reached).
# (Bash only: a process per call costs ~0.5 s in a TCG guest.)
run_me_result() {
	local f=$CR_JOB/run_me/$1/out line r=NONE
	if [ -f "$f" ]; then
		while IFS= read -r line; do
			case $line in "PASS: $2" | "FAIL: $2" | "SKIP: $2") r=${line%%:*} ;; esac
		done < "$f"
	fi
	echo "$r"
}

# run_me_log LABEL TEST [N]: the last N (default 15) lines of that test's output, indented.
run_me_log() {
	local f=$CR_JOB/run_me/$1/$2.log
	if [ -s "$f" ]; then tail -n "${3:-15}" "$f" | sed 's/^/        | /'; else echo "        | (no output)"; fi
}

# Seconds the slow tests of BLCR's suite took in the lane (the rest take 2-4 s): the weights that
# balance blcr_suite_shard's shards.
declare -A BLCR_TEST_SECONDS=([cr_tryenter_cs.st]=31 [cs_enter_leave.st]=30 [cs_enter_leave2.st]=30
	[clobber]=25 [mmaps.ct]=22 [stopped.st]=13 [forward.ct]=10 [named_fifo.ct]=10 [pid_in_use.st]=10
	[filedescriptors.ct]=9 [save_priv]=6 [bug2003]=6 [run_on]=6 [linked_fifo.ct]=6 [simple.ct]=5)

# blcr_suite_shard K N: shard K (1-based) of N of BLCR's whole suite through run_me with BLCR's own
# tools, hugetlbfs mounted; fails unless every test passes, bug2524 (PowerPC only) excepted, which
# must report itself not run. The shards split the suite by BLCR_TEST_SECONDS (longest first, each
# to the lightest shard so far) and keep RUN_ME's order within a shard.
blcr_suite_shard() {
	local k=$1 n=$2 t r i j rc=0 passed=0 all=() tests=() bad=() load=()
	local -A not_run=([bug2524]="PowerPC only") shard_of=()
	mapfile -t all < <(blcr_tests)
	[ "${#all[@]}" -ge 60 ] || fail "RUN_ME lists only ${#all[@]} tests: ${all[*]}"
	for ((i = 0; i < n; i++)); do load[i]=0; done
	while read -r _ t; do
		j=0
		for ((i = 1; i < n; i++)); do [ "${load[i]}" -lt "${load[j]}" ] && j=$i; done
		shard_of[$t]=$j
		load[j]=$((load[j] + ${BLCR_TEST_SECONDS[$t]:-3}))
	done < <(for t in "${all[@]}"; do echo "${BLCR_TEST_SECONDS[$t]:-3} $t"; done | sort -s -k1,1nr)
	for t in "${all[@]}"; do [ "${shard_of[$t]}" = $((k - 1)) ] && tests+=("$t"); done
	step "hugetlbfs"
	mkdir -p /crvm/hugetlbfs
	mount -t hugetlbfs none /crvm/hugetlbfs
	at_cleanup "umount /crvm/hugetlbfs"
	echo 16 > /proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ] || fail "no huge pages could be reserved"
	note "$(cat /proc/sys/vm/nr_hugepages) huge pages of $(awk '/Hugepagesize/ { print $2 " " $3 }' /proc/meminfo)"
	step "RUN_ME, shard $k of $n"
	note "${#tests[@]} of the suite's ${#all[@]} tests (about ${load[k - 1]} of $((${load[*]/%/+}0)) s)"
	run_me --test-timeout 180 "suite-$k" "$CR_BLCR_PREFIX/bin" "${tests[@]}" || rc=$?
	step "verdicts"
	for t in "${tests[@]}"; do
		r=$(run_me_result "suite-$k" "$t")
		if [ -n "${not_run[$t]:-}" ]; then
			[ "$r" = SKIP ] || bad+=("$t: $r, expected SKIP (${not_run[$t]})")
		elif [ "$r" = PASS ]; then
			passed=$((passed + 1))
		else
			bad+=("$t: $r")
		fi
	done
	note "$passed passed, $((${#tests[@]} - passed - ${#bad[@]})) not run as expected, ${#bad[@]} otherwise"
	note "slowest (s): $(awk '{ printf "%s %.1f\n", $1, $4 - $3 }' "$CR_JOB/run_me/suite-$k/times" | sort -k2,2nr | head -n 5 | paste -sd' ')"
	if [ "${#bad[@]}" -gt 0 ]; then
		for t in "${bad[@]}"; do
			echo "  $t"
			run_me_log "suite-$k" "${t%%:*}"
		done
		fail "${#bad[@]} of ${#tests[@]} BLCR tests did not pass with BLCR's own tools: ${bad[*]%%:*}"
	fi
	[ "$rc" = 0 ] || fail "RUN_ME exited $rc although every test passed"
}

_lib_on_err() {
	local status=$? line=$1 cmd=$2
	printf '[%6ss] FAIL in step "%s": status %s from line %s: %s\n' "$(elapsed)" "$_LIB_STEP" "$status" "$line" "$cmd" >&2
}
_lib_on_exit() {
	local status=$?
	trap - ERR
	if [ "$status" != 0 ]; then printf '[%6ss] == cleanup after the failure\n' "$(elapsed)"; fi
	cleanup || { echo "cleanup: something made by the scenario could not be removed (see above)" >&2; [ "$status" != 0 ] || status=1; }
	printf '[%6ss] == end (status %s)\n' "$(elapsed)" "$status"
	exit "$status"
}
trap '_lib_on_err "$LINENO" "$BASH_COMMAND"' ERR
trap _lib_on_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
