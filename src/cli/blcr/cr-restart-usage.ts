// The usage text of BLCR's cr_restart, word for word (scripts and users compare it), as the tool prints it for
// -h/--help (stdout) and for a usage error (stderr).

/** cr_restart's usage. */
export const CR_RESTART_USAGE = `Usage: cr_restart [options] [checkpoint_file]

Options:
General options:
  -?, --help          print this help message.
  -v, --version       print version information.
  -q, --quiet         suppress error/warning messages to stderr.

Options for source location of the checkpoint:
  -d, --dir DIR       checkpoint read from directory DIR, with one
                      'context.ID' file per process (unimplemented).
  -f, --file FILE     checkpoint read from FILE.
  -F, --fd FD         checkpoint read from an open file descriptor.
  Options in this group are mutually exclusive.
  If no option is given from this group, the default is to take
  the final argument as FILE.

Options for signal sent to process(es) after restart:
      --run           no signal sent: continue execution (default).
  -S, --signal NUM    signal NUM sent to all processes/threads.
      --stop          SIGSTOP sent to all processes.
      --term          SIGTERM sent to all processes.
      --abort         SIGABRT sent to all processes.
      --kill          SIGKILL sent to all processes.
      --cont          SIGCONT sent to all processes.
  Options in this group are mutually exclusive.
  If more than one is given then only the last will be honored.

Options for checkpoints of restarted process(es):
      --omit-maybe    use a heuristic to omit cr_restart from checkpoints (default)
      --omit-always   always omit cr_restart from checkpoints
      --omit-never    never omit cr_restart from checkpoints

Options for alternate error handling:
      --run-on-success='cmd'    run the given command on success
      --run-on-fail-args='cmd'  run the given command invalid arguments
      --run-on-fail-temp='cmd'  run the given command on 'temporary' failure
      --run-on-fail-env='cmd'   run the given command on 'environmental' failure
      --run-on-fail-perm='cmd'  run the given command on 'permanent' failure
      --run-on-failure='cmd'    run the given command on any failure

Options for relocation:
      --relocate OLDPATH=NEWPATH    map paths of files and directories to
                                    new locations by prefix replacement.

Options for restoring pid, process group and session ids
      --restore-pid       restore pids to saved values (default).
      --no-restore-pid    restart with new pids.
      --restore-pgid      restore pgid to saved values.
      --no-restore-pgid   restart with new pgids (default).
      --restore-sid       restore sid to saved values.
      --no-restore-sid    restart with new sids (default).
  Options in each restore/no-restore pair are mutually exclusive.
  If both are given then only the last will be honored.

Options for kernel log messages (default is --kmsg-error):
      --kmsg-none     don't report any kernel messages.
      --kmsg-error    on restart failure, report on stderr any kernel
                      messages associated with the restart request.
      --kmsg-warning  report on stderr any kernel messages associated
                      with the restart request, regardless of success
                      or failure.  Messages generated in the absence of
                      failure are considered to be warnings.
  Options in this group are mutually exclusive.
  If more than one is given then only the last will be honored.
  Note that --quiet suppresses all stderr output, including these messages.
`;
