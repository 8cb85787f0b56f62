/*
 * counter - a cooperating checkpoint target for the tests.
 *
 * Increments a long every --interval-ms and registers it as its saved state
 * with the stub (cr_testkernel_register_state) when the stub is preloaded.
 *
 *   --interval-ms N  tick period (default 100)
 *   --out FILE       append "counter N" lines there (flushed) instead of stdout
 *   --children N     fork N children running the same loop (silent)
 *   --setsid         become a session leader first
 *   --setpgid        become a process group leader first
 *   --threads N      start N extra threads that only sleep
 *   --exit-at N      exit when the counter reaches N ...
 *   --exit-when FILE ... or at the first tick that finds FILE (so a test ends the job when it is
 *                    ready to, whatever the speed of the machine) ...
 *   --exit-code C    ... with status C (default 0)
 *   --ready FILE     once ready, create FILE listing our pid then the children's
 *   --undumpable     prctl(PR_SET_DUMPABLE, 0) (the kernel refuses to dump it)
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long counter;

struct opts {
	long interval_ms, exit_at;
	int children, threads, exit_code, setsid, setpgid, undumpable;
	const char *out, *ready, *exit_when;
};

static void die(const char *what)
{
	fprintf(stderr, "counter: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long num(const char *s, const char *opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s ? s : "", &end, 10);
	if (s == NULL || *s == '\0' || *end != '\0' || errno != 0 || v < 0) {
		fprintf(stderr, "counter: bad value for %s\n", opt);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->interval_ms = 100;
	o->exit_at = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--setsid") == 0) {
			o->setsid = 1;
			continue;
		}
		if (strcmp(a, "--setpgid") == 0) {
			o->setpgid = 1;
			continue;
		}
		if (strcmp(a, "--undumpable") == 0) {
			o->undumpable = 1;
			continue;
		}
		if (strcmp(a, "--interval-ms") == 0)
			o->interval_ms = num(v, a);
		else if (strcmp(a, "--children") == 0)
			o->children = (int)num(v, a);
		else if (strcmp(a, "--threads") == 0)
			o->threads = (int)num(v, a);
		else if (strcmp(a, "--exit-at") == 0)
			o->exit_at = num(v, a);
		else if (strcmp(a, "--exit-code") == 0)
			o->exit_code = (int)num(v, a);
		else if (strcmp(a, "--out") == 0 && v != NULL)
			o->out = v;
		else if (strcmp(a, "--ready") == 0 && v != NULL)
			o->ready = v;
		else if (strcmp(a, "--exit-when") == 0 && v != NULL)
			o->exit_when = v;
		else {
			fprintf(stderr, "counter: unknown option %s\n", a);
			exit(2);
		}
		i++;
	}
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(1);
	return NULL;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void write_ready(const char *path, const pid_t *kids, int n)
{
	char tmp[4096];
	FILE *f;
	int i;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		die(tmp);
	fprintf(f, "%d\n", (int)getpid());
	for (i = 0; i < n; i++)
		fprintf(f, "%d\n", (int)kids[i]);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die(path);
}

static void loop(const struct opts *o, FILE *out)
{
	for (;;) {
		msleep(o->interval_ms);
		counter++;
		if (out != NULL) {
			fprintf(out, "counter %ld\n", counter);
			fflush(out);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;  /* reap children that exited */
		if (o->exit_at >= 0 && counter >= o->exit_at)
			exit(o->exit_code);
		if (o->exit_when != NULL && access(o->exit_when, F_OK) == 0)
			exit(o->exit_code);
	}
}

int main(int argc, char **argv)
{
	void (*reg)(void *, size_t);
	struct opts o;
	pid_t *kids;
	FILE *out = stdout;
	int i;

	parse(argc, argv, &o);
	if (o.setsid && setsid() < 0)
		die("setsid");
	if (o.setpgid && setpgid(0, 0) != 0)
		die("setpgid");
	if (o.undumpable && prctl(PR_SET_DUMPABLE, 0) != 0)
		die("prctl");
	if (o.out != NULL && (out = fopen(o.out, "a")) == NULL)
		die(o.out);
	/* Present only when libcr_run/libcr_omit is preloaded. */
	*(void **)&reg = dlsym(RTLD_DEFAULT, "cr_testkernel_register_state");
	if (reg != NULL)
		reg(&counter, sizeof(counter));
	for (i = 0; i < o.threads; i++) {
		pthread_t th;

		if (pthread_create(&th, NULL, sleeper, NULL) != 0)
			die("pthread_create");
	}
	kids = calloc((size_t)o.children + 1, sizeof(*kids));
	if (kids == NULL)
		die("calloc");
	for (i = 0; i < o.children; i++) {
		pid_t parent = getpid(), pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			/* Die with the parent so no test leaves strays behind. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			free(kids);
			loop(&o, NULL);
		}
		kids[i] = pid;
	}
	if (o.ready != NULL)
		write_ready(o.ready, kids, o.children);
	free(kids);
	loop(&o, out);
	return 0;
}
