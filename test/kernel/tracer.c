/* tracer PID: ptrace-seize PID (so it counts as ptraced, and this process as its tracer),
 * print "tracing PID" on stdout once attached, then pass every signal-delivery stop on
 * with PTRACE_CONT (as a debugger that lets the program run would), until killed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tracer PID\n");
		return 2;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0) {
		fprintf(stderr, "tracer: PTRACE_SEIZE %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	printf("tracing %d\n", (int)pid);
	fflush(stdout);
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, __WALL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				return 0;
			fprintf(stderr, "tracer: waitpid: %s\n", strerror(errno));
			return 1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return 0;
		if (WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);
			/* Group-stops (SIGSTOP and friends under SEIZE) are event stops: resume without a signal. */
			int deliver = (st >> 16) == PTRACE_EVENT_STOP ? 0 : sig;
			if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)deliver) != 0 && errno != ESRCH) {
				fprintf(stderr, "tracer: PTRACE_CONT: %s\n", strerror(errno));
				return 1;
			}
		}
	}
}
