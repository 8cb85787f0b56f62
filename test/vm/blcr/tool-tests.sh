#!/bin/bash
# The 17 tests of BLCR's suite that exercise its command-line tools (cr_run, cr_checkpoint,
# cr_restart), run twice through RUN_ME: with BLCR's own tools, then with the suite's
# cr_checkpoint, cr_restart and cr_run pointing at the package's entry points of those names
# (package.json "bin", wrappers in $CR_BIN_DIR). Prints a table (entry, BLCR tools, cr) and fails
# unless every entry that passes with BLCR's tools passes with cr's too.
# timeout: 2400
. "$CR_ROOT/test/vm/lib.sh"

TESTS=(cr_run cr_targ cr_targ2 cr_omit dlopen bug2003 run_on save_exe save_priv save_share save_all
	reloc_exe reloc_file reloc_fifo reloc_dir reloc_all clobber)
# The cr column runs on node (2-10 s per start in this TCG guest; clobber starts it 27 times):
# safety limits per test and in all, far above what a quiet machine needs.
CR_TEST_TIMEOUT=400
CR_COLUMN_LIMIT=1800

step "BLCR's tools"
run_me --test-timeout 90 blcr "$CR_BLCR_PREFIX/bin" "${TESTS[@]}" || note "RUN_ME with BLCR's tools: status $?"

step "cr's entry points"
missing=()
for t in cr_checkpoint cr_restart cr_run; do
	[ -x "$CR_BIN_DIR/$t" ] || missing+=("$t")
done
if [ "${#missing[@]}" -eq 0 ]; then
	run_me --test-timeout "$CR_TEST_TIMEOUT" --limit "$CR_COLUMN_LIMIT" cr "$CR_BIN_DIR" "${TESTS[@]}" ||
		note "RUN_ME with cr's entry points: status $?"
else
	note "package.json \"bin\" has no ${missing[*]}: the cr column is not run"
fi

step "table"
printf '  %-12s %-11s %s\n' entry "BLCR tools" cr
worse=()
blcr_failed=()
for t in "${TESTS[@]}"; do
	b=$(run_me_result blcr "$t")
	if [ "${#missing[@]}" -gt 0 ]; then c="no entry point"; else c=$(run_me_result cr "$t"); fi
	printf '  %-12s %-11s %s\n' "$t" "$b" "$c"
	[ "$b" = PASS ] || blcr_failed+=("$t")
	[ "$b" = PASS ] && [ "$c" != PASS ] && worse+=("$t")
done
if [ "${#blcr_failed[@]}" -gt 0 ]; then
	note "with BLCR's own tools these did not pass (the lane's blcr-suite scenario should fail too): ${blcr_failed[*]}"
	for t in "${blcr_failed[@]}"; do echo "  $t (BLCR tools):"; run_me_log blcr "$t"; done
fi
if [ "${#missing[@]}" -gt 0 ]; then
	fail "the package has no ${missing[*]} entry point (package.json \"bin\"), so none of the ${#TESTS[@]} entries could run with cr's tools"
fi
if [ "${#worse[@]}" -gt 0 ]; then
	for t in "${worse[@]}"; do echo "  $t (cr):"; run_me_log cr "$t"; done
	fail "${#worse[@]} of ${#TESTS[@]} entries pass with BLCR's tools but not with cr's: ${worse[*]}"
fi
note "every entry that passes with BLCR's tools passes with cr's"
