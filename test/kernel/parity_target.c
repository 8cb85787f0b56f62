/*
 * parity-target - the checkpoint target of the parity probe (parity.c), the
 * same program against the real BLCR module (under BLCR's libcr_run) and
 * against the test kernel (under its libcr_run stand-in).
 *
 *   parity-target REPORT [OPTION...]
 *
 * Appends to REPORT (created mode 0666): "child PID" / "zombie PID" /
 * "traced PID" for the helpers it starts, then "ready PID" once set up, then
 * "sig N" for every signal it catches (children: "cK sig N"). Caught:
 * SIGHUP, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH. Then it sleeps in pause().
 *
 *   --silent        its own CR_SIGNUM handler, which only reports "sig 64"
 *                   (support present, but it never answers a checkpoint)
 *   --ignore64      CR_SIGNUM set to SIG_IGN
 *   --children N    fork N children that sleep too (die with the parent)
 *   --zombie-child  fork a child that exits at once and is never reaped
 *   --tracer        fork a child and PTRACE_SEIZE it (this process is a tracer)
 *   --threads N     N extra threads that sleep
 *   --undumpable    prctl(PR_SET_DUMPABLE, 0)
 *   --ids R,E,S     setresuid(R, E, S) last (then dumpable again, unless
 *                   --undumpable)
 *   --setpgid / --setsid   own process group / session first
 *   --exit N        exit with status N right after "ready" (a zombie until
 *                   its parent reaps it)
 *
 * Restarted by the test kernel (argv replayed), the state registered with the
 * stand-in says it had started: it then writes nothing and sleeps again, as a
 * process restored by BLCR simply goes on sleeping.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CR_SIGNUM 64

static int report_fd = -1;
static char who[16] = "";  /* "" for the parent, "cK " for child K */

static struct {
	int started;
} state;

static void die(const char *what)
{
	fprintf(stderr, "parity-target: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long num(const char *s, const char *opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s != NULL ? s : "", &end, 10);
	if (s == NULL || *s == '\0' || *end != '\0' || errno != 0) {
		fprintf(stderr, "parity-target: bad value for %s\n", opt);
		exit(2);
	}
	return v;
}

/* One line to REPORT, async-signal-safe (no stdio). */
static void say(const char *word, long v)
{
	char buf[64], digits[24];
	size_t n = 0, i;
	int d = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	for (i = 0; who[i] != '\0' && n < sizeof(buf) - 1; i++)
		buf[n++] = who[i];
	for (i = 0; word[i] != '\0' && n < sizeof(buf) - 1; i++)
		buf[n++] = word[i];
	buf[n++] = ' ';
	if (v < 0)
		buf[n++] = '-';
	do {
		digits[d++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (d > 0 && n < sizeof(buf) - 1)
		buf[n++] = digits[--d];
	buf[n++] = '\n';
	if (write(report_fd, buf, n) != (ssize_t)n)
		_exit(3);
}

static void on_signal(int sig)
{
	int saved = errno;

	say("sig", sig);
	errno = saved;
}

static void catch(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		die("sigaction");
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

/* A child that sleeps; returns once it is set up (its prefix in place). */
static pid_t start_child(int k)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		snprintf(who, sizeof(who), "c%d ", k);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
			die("prctl");
		if (write(p[1], "u", 1) != 1)
			die("write");
		close(p[0]);
		close(p[1]);
		sleep_forever();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("child setup");
	close(p[0]);
	return pid;
}

int main(int argc, char **argv)
{
	void (*reg)(void *, size_t);
	int i, silent = 0, ignore64 = 0, zombie = 0, tracer = 0, undumpable = 0;
	int do_setpgid = 0, do_setsid = 0, ids = 0;
	long children = 0, threads = 0, exit_code = -1, r = 0, e = 0, s = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: parity-target REPORT [OPTION...]\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--silent") == 0)
			silent = 1;
		else if (strcmp(a, "--ignore64") == 0)
			ignore64 = 1;
		else if (strcmp(a, "--zombie-child") == 0)
			zombie = 1;
		else if (strcmp(a, "--tracer") == 0)
			tracer = 1;
		else if (strcmp(a, "--undumpable") == 0)
			undumpable = 1;
		else if (strcmp(a, "--setpgid") == 0)
			do_setpgid = 1;
		else if (strcmp(a, "--setsid") == 0)
			do_setsid = 1;
		else if (strcmp(a, "--children") == 0 && i + 1 < argc)
			children = num(argv[++i], a);
		else if (strcmp(a, "--threads") == 0 && i + 1 < argc)
			threads = num(argv[++i], a);
		else if (strcmp(a, "--exit") == 0 && i + 1 < argc)
			exit_code = num(argv[++i], a);
		else if (strcmp(a, "--ids") == 0 && i + 1 < argc) {
			if (sscanf(argv[++i], "%ld,%ld,%ld", &r, &e, &s) != 3) {
				fprintf(stderr, "parity-target: --ids wants R,E,S\n");
				return 2;
			}
			ids = 1;
		} else {
			fprintf(stderr, "parity-target: unknown option %s\n", a);
			return 2;
		}
	}

	report_fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (report_fd < 0)
		die(argv[1]);

	catch(SIGHUP, on_signal);
	catch(SIGUSR1, on_signal);
	catch(SIGUSR2, on_signal);
	catch(SIGCONT, on_signal);
	catch(SIGWINCH, on_signal);
	if (silent)
		catch(CR_SIGNUM, on_signal);
	if (ignore64 && signal(CR_SIGNUM, SIG_IGN) == SIG_ERR)
		die("signal");

	/* The stand-in's saved-state hook (absent under BLCR's libcr_run). */
	*(void **)&reg = dlsym(RTLD_DEFAULT, "cr_testkernel_register_state");
	if (reg != NULL)
		reg(&state, sizeof(state));
	if (state.started)
		sleep_forever();  /* restarted by the test kernel: as if restored */
	state.started = 1;
	if (do_setsid && setsid() < 0)
		die("setsid");
	if (do_setpgid && setpgid(0, 0) != 0)
		die("setpgid");

	for (i = 0; i < children; i++)
		say("child", start_child(i + 1));
	if (zombie) {
		pid_t z = fork();

		if (z < 0)
			die("fork");
		if (z == 0)
			_exit(0);
		{
			siginfo_t si;

			/* A zombie before "ready": exited, not reaped. */
			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, z, &si, WEXITED | WNOWAIT) != 0)
				die("waitid");
		}
		say("zombie", z);
	}
	if (tracer) {
		pid_t t = start_child((int)children + 1);

		if (ptrace(PTRACE_SEIZE, t, NULL, NULL) != 0)
			die("PTRACE_SEIZE");
		say("traced", t);
	}
	for (i = 0; i < threads; i++) {
		pthread_t th;

		if (pthread_create(&th, NULL, sleeper, NULL) != 0)
			die("pthread_create");
	}
	if (undumpable && prctl(PR_SET_DUMPABLE, 0) != 0)
		die("PR_SET_DUMPABLE");
	if (ids) {
		if (setresuid((uid_t)r, (uid_t)e, (uid_t)s) != 0)
			die("setresuid");
		/* A uid change makes the process undumpable: undo that unless asked. */
		if (!undumpable && prctl(PR_SET_DUMPABLE, 1) != 0)
			die("PR_SET_DUMPABLE");
	}
	say("ready", getpid());
	if (exit_code >= 0)
		exit((int)exit_code);
	sleep_forever();
	return 0;
}
