# Scenario helpers for `cr dmlog serve` (source after lib.sh).
#   start_dmlog [NAME]     start the server in the background (start_service NAME, default "dmlog"), wait for its
#                          ready line. Cleanup stops it after the dm devices, and starts one again first if
#                          every server died (dmlog_teardown_server), so a failed step never leaves a mirror
#                          whose log has no server (its suspend and remove would block in the kernel for good)
#   dmlog_status EXPR      one `cr dmlog status --json`, then print the Python expression EXPR over it
#                          (`s` is the document, `logs` its logs, `log(uuid)` the first log with that uuid)
#   log_hex DEV OFF N      N bytes of a log device from byte OFF as "72 52 69 4d ...", read O_DIRECT

DMLOG_SOCK=$CR_SCRATCH/dmlog.sock
# cr dmlog status and cr checkpoint --quiesce find the server here.
export CR_DMLOG_SOCKET=$DMLOG_SOCK

start_dmlog() {
	local name=${1:-dmlog}
	echo "$name" >> "$CR_SCRATCH/.lib/dmlog-servers"
	at_dm_teardown dmlog_teardown_server
	start_service "$name" cr dmlog serve --socket "$DMLOG_SOCK" ${DMLOG_ARGS:-}
	wait_for "grep -q 'cr dmlog: serving' '$(bg_log "$name")'" 1200 || fail "cr dmlog serve did not start: $(cat "$(bg_log "$name")")"
	note "$(grep 'cr dmlog: serving' "$(bg_log "$name")")"
}

# dmlog_teardown_server: (cleanup) when no server started here is running but a mirror with a
# userspace log remains, start one (the kernel reconnects to it) so the mirror can be removed.
dmlog_teardown_server() {
	local name
	while read -r name; do bg_running "$name" && return 0; done < "$CR_SCRATCH/.lib/dmlog-servers"
	dmsetup table 2>/dev/null | grep -q ' mirror userspace ' || return 0
	echo "cleanup: no log server running for the remaining userspace-log mirrors: starting one" >&2
	echo dmlog-teardown >> "$CR_SCRATCH/.lib/dmlog-servers"
	start_service dmlog-teardown cr dmlog serve --socket "$DMLOG_SOCK"
	wait_for "grep -q 'cr dmlog: serving' '$(bg_log dmlog-teardown)'" 1200 ||
		echo "cleanup: the teardown log server did not start: $(cat "$(bg_log dmlog-teardown)")" >&2
}

dmlog_status() {
	cr dmlog status --socket "$DMLOG_SOCK" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
logs = s["logs"]
def log(uuid):
    return next(l for l in logs if l["uuid"] == uuid)
print(eval(sys.argv[1]))' "$1"
}

log_hex() {
	dd if="$1" bs=4096 count=1 iflag=direct status=none | od -An -v -tx1 -j "$2" -N "$3" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}
