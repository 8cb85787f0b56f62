/* tracer PID: ptrace-seize PID (so it counts as ptraced, and this process as its tracer),
 * print "tracing PID" on stdout once attached, then wait until killed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
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
	for (;;)
		pause();
}
