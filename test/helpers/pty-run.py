# Run ARGV on a new pseudo-terminal (80x24) as its controlling terminal, as a shell would run it
# interactively. Prints "pid N" first, then the terminal's output, then "status N" (the exit
# status, or -SIGNO when it died by a signal). Used by tests that need cr on a terminal.
import fcntl, os, pty, select, struct, sys, termios

pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])
sys.stdout.write(f'pid {pid}\n')
sys.stdout.flush()
out = sys.stdout.buffer
while True:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if data:
            out.write(data)
            out.flush()
            continue
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
out.write(f'\nstatus {os.waitstatus_to_exitcode(status)}\n'.encode())
out.flush()
