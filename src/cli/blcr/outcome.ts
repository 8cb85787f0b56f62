// What parsing a BLCR tool's argv can lead to, before anything is touched (shared by the
// cr_checkpoint and cr_restart entry points).

/** The end of an argv parse: print the usage or version, fail as the tool does, or run. */
export type ParseOutcome<T> =
  /** -h, -?, --help: the usage on stdout, exit 0. */
  | {kind: 'help'}
  /** --version (cr_restart: -v too): one line on stdout, exit 0. */
  | {kind: 'version'}
  /** A usage error: the usage on stderr (nothing with -q given before it), exit 255.
   *  cr_restart first runs its --run-on-fail-args hook (`hook`); a non-zero status is the exit. */
  | {kind: 'usage'; quiet: boolean; hook?: string}
  /** The tool's die(code, message): `hook` first as above, then the message on stderr unless -q,
   *  exit code & 0xff. */
  | {kind: 'die'; code: number; message: string; quiet: boolean; hook?: string}
  | ({kind: 'run'} & T);

/** An outcome other than 'run', thrown out of the option loop. */
export class ParseStop {
  constructor(readonly outcome: Exclude<ParseOutcome<never>, {kind: 'run'}>) {}
}
