// The usage text of BLCR's cr_checkpoint, word for word (scripts and users compare it), as the tool prints it for
// -h/--help (stdout) and for a usage error (stderr).

/** cr_checkpoint's usage. */
export const CR_CHECKPOINT_USAGE = `Usage: cr_checkpoint [options] ID

Options:
General options:
  -v, --verbose          print progress messages to stderr.
  -q, --quiet            suppress error/warning messages to stderr.
  -?, --help             print this message and exit.
      --version          print version information and exit.

Options for scope of the checkpoint:
  -T, --tree             ID identifies a process id.  It and all
                         of its descendants are to be checkpointed.
                         This is the default.
  -p, --pid, --process   ID identifies a single process id.
  -g, --pgid, --group    ID identifies a process group id.
  -s, --sid, --session   ID identifies a session id.

Options for destination location of the checkpoint:
  -c, --cwd              checkpoint saved as a single 'context.ID' file in
                         cr_checkpoint's working directory (default).
  -d, --dir DIR          checkpoint saved in new directory DIR, with one
                         'context.ID' file per process (unimplemented).
  -f, --file FILE        checkpoint saved as FILE.
  -F, --fd FD            checkpoint written to an open file descriptor.

Options for creation/replacement policy for checkpoint files:
      --atomic           checkpoint created/replaced atomically (default).
      --backup[=NAME]    checkpoint created atomically, and any existing 
                         checkpoint backed up to NAME or *.~1~, *.~2~, etc.
      --clobber          checkpoint written incrementally to target, 
                         overwriting any pre-existing checkpoint.
      --noclobber        checkpoint will fail if the target file exists.
  These options are ignored if the destination is a file descriptor.

Options for signal sent to process(es) after checkpoint:
      --run              no signal sent: continue execution (default).
  -S, --signal NUM       signal NUM sent to all processess.
      --stop             SIGSTOP sent to all processes.
      --term             SIGTERM sent to all processes.
      --abort            SIGABRT sent to all processes.
      --kill             SIGKILL sent to all processes.
      --cont             SIGCONT sent to all processes.
  Options in this group are mutually exclusive.
  If more than one is given then only the last will be honored.

Options for file system synchronization (default is --sync):
      --sync             fsync checkpoint file(s) to disk (default).
      --nosync           do not fsync checkpoint file(s) to disk.

Options to save optional portions of memory:
      --save-exe         save the executable file.
      --save-private     save private mapped files.
                         (executables and libraries are mapped this way)
      --save-shared      save shared mapped files.
                         (System V IPC is mapped this way).
      --save-all         save all of the above.
      --save-none        save none of the above (the default).

Options for ptraced processes (default is --ptraced-error):
      --ptraced-error    return an error if a checkpoint is requested
                         of a process being ptraced.
      --ptraced-skip     ptraced processes are silently excluded from the
                         checkpoint request.  If the checkpoint scope is
                         --tree, then this will also exclude any children
                         of such processes.  No error is produced unless
                         this results in zero processes checkpointed.
      --ptraced-allow    checkpoint ptraced processes normally.
                         WARNING: This may require the tracer to "continue"
                         the target process(es), possibly more than once.

Options for processes ptracing others (default is --ptracer-error):
      --ptracer-error    return an error if a checkpoint is requested
                         of a process which is ptracing others.
      --ptracer-skip     processes ptracing others are silently excluded
                         from the checkpoint request.  If the checkpoint
                         scope is --tree, then this will also exclude any
                         children of such processes.  No error is produced
                         unless this results in zero processes checkpointed.

Options for kernel log messages (default is --kmsg-error):
      --kmsg-none        don't report any kernel messages.
      --kmsg-error       on checkpoint failure, report on stderr any kernel
                         messages associated with the checkpoint request.
      --kmsg-warning     report on stderr any kernel messages associated
                         with the checkpoint request, regardless of success
                         or failure.  Messages generated in the absence of
                         failure are considered to be warnings.
  Options in this group are mutually exclusive.
  If more than one is given then only the last will be honored.
  Note that --quiet suppresses all stderr output, including these messages.

Misc Options:
  -t, --time SEC         allow only SEC seconds for target to complete
                         checkpoint (default: wait indefinitely).
`;
