/*
 * tk_proc.c - reading /proc: status and stat of processes, the process
 * list, and the resolution of a (scope, id) pair to target processes.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tk_internal.h"

static int tk_gone(int err)
{
	/* A process that vanished shows up as ENOENT (or ESRCH) on /proc. */
	return (err == ENOENT || err == ESRCH) ? ESRCH : err;
}

static uint64_t tk_hex(const char *s)
{
	return (uint64_t)strtoull(s, NULL, 16);
}

static int tk_status_path(const char *path, struct tk_pstatus *st)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int err = tk_read_file(path, &buf, &len);

	if (err != 0)
		return tk_gone(err);
	memset(st, 0, sizeof(*st));
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ':');

		if (v == NULL)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		if (strcmp(line, "Name") == 0) {
			snprintf(st->name, sizeof(st->name), "%s", v);
		} else if (strcmp(line, "State") == 0) {
			st->state = v[0];
		} else if (strcmp(line, "Tgid") == 0) {
			st->tgid = (pid_t)atoi(v);
		} else if (strcmp(line, "PPid") == 0) {
			st->ppid = (pid_t)atoi(v);
		} else if (strcmp(line, "TracerPid") == 0) {
			st->tracer = (pid_t)atoi(v);
		} else if (strcmp(line, "Uid") == 0) {
			unsigned int r = 0, e = 0, sv = 0;

			if (sscanf(v, "%u %u %u", &r, &e, &sv) == 3) {
				st->ruid = r;
				st->euid = e;
				st->suid = sv;
			}
		} else if (strcmp(line, "Gid") == 0) {
			unsigned int r = 0, e = 0;

			if (sscanf(v, "%u %u", &r, &e) == 2) {
				st->rgid = r;
				st->egid = e;
			}
		} else if (strcmp(line, "Threads") == 0) {
			st->threads = atoi(v);
		} else if (strcmp(line, "SigIgn") == 0) {
			st->sigign = tk_hex(v);
		} else if (strcmp(line, "SigCgt") == 0) {
			st->sigcgt = tk_hex(v);
		} else if (strcmp(line, "CapEff") == 0) {
			st->capeff = tk_hex(v);
		}
	}
	free(buf);
	return st->tgid > 0 ? 0 : EIO;
}

int tk_proc_status(pid_t pid, struct tk_pstatus *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return tk_status_path(path, st);
}

int tk_proc_self_status(struct tk_pstatus *st)
{
	int err = tk_status_path("/proc/thread-self/status", st);

	return err == 0 ? 0 : tk_status_path("/proc/self/status", st);
}

int tk_proc_task_status(pid_t pid, pid_t tid, struct tk_pstatus *st)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	return tk_status_path(path, st);
}

int tk_proc_stat(pid_t pid, struct tk_pstat *st)
{
	char path[64], *buf, *p;
	size_t len;
	int err, ppid, pgrp, sid, tty, tpgid;
	char state;
	unsigned long flags;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	err = tk_read_file(path, &buf, &len);
	if (err != 0)
		return tk_gone(err);
	/* The comm may contain ')' and spaces: parse after the LAST ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c %d %d %d %d %d %lu", &state, &ppid, &pgrp, &sid, &tty,
				&tpgid, &flags) != 7) {
		free(buf);
		return EIO;
	}
	free(buf);
	st->pid = pid;
	st->ppid = (pid_t)ppid;
	st->pgrp = (pid_t)pgrp;
	st->sid = (pid_t)sid;
	st->flags = flags;
	st->state = state;
	return 0;
}

int tk_proc_exit(pid_t pid, char *comm, size_t size, int *code)
{
	char path[64], *buf, *p, *q;
	size_t len, n;
	int err, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	err = tk_read_file(path, &buf, &len);
	if (err != 0)
		return tk_gone(err);
	p = strchr(buf, '(');
	q = strrchr(buf, ')');
	if (p == NULL || q == NULL || q < p) {
		free(buf);
		return EIO;
	}
	n = (size_t)(q - p - 1);
	if (n >= size)
		n = size - 1;
	memcpy(comm, p + 1, n);
	comm[n] = '\0';
	/* Field 52, exit_code (Linux 3.5+): fields 3.. follow the ')'. */
	*code = 0;
	for (field = 2, p = q + 1; *p != '\0' && field < 52; p++)
		if (*p == ' ')
			field++;
	if (field == 52)
		*code = atoi(p);
	free(buf);
	return 0;
}

static int tk_cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int tk_cmp_pstat(const void *a, const void *b)
{
	return tk_cmp_pid(&((const struct tk_pstat *)a)->pid, &((const struct tk_pstat *)b)->pid);
}

static pid_t tk_dirent_pid(const struct dirent *de)
{
	const char *s = de->d_name;
	long v = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > 0x7fffffff)
			return 0;
	}
	return (pid_t)v;
}

/* The numeric entries of a directory, sorted. */
int tk_list_numeric(const char *dir, pid_t **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	pid_t *v = NULL;
	size_t cnt = 0, cap = 0;

	if (d == NULL)
		return tk_gone(errno);
	while ((de = readdir(d)) != NULL) {
		pid_t pid = tk_dirent_pid(de);

		if (pid <= 0)
			continue;
		if (cnt == cap) {
			pid_t *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				closedir(d);
				return ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = pid;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), tk_cmp_pid);
	*out = v;
	*n = cnt;
	return 0;
}

int tk_proc_tids(pid_t pid, pid_t **tids, size_t *n)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	return tk_list_numeric(path, tids, n);
}

int tk_proc_scan(struct tk_pstat **list, size_t *n)
{
	pid_t *pids;
	size_t np, i, cnt = 0;
	struct tk_pstat *v;
	int err = tk_list_numeric("/proc", &pids, &np);

	if (err != 0)
		return err;
	v = malloc((np ? np : 1) * sizeof(*v));
	if (v == NULL) {
		free(pids);
		return ENOMEM;
	}
	for (i = 0; i < np; i++) {
		if (tk_proc_stat(pids[i], &v[cnt]) == 0)
			cnt++;  /* processes that exited meanwhile are skipped */
	}
	free(pids);
	*list = v;
	*n = cnt;
	return 0;
}

int tk_proc_tracers(pid_t **list, size_t *n)
{
	pid_t *pids, *v;
	size_t np, i, cnt = 0;
	int err = tk_list_numeric("/proc", &pids, &np);

	if (err != 0)
		return err;
	v = malloc((np ? np : 1) * sizeof(*v));
	if (v == NULL) {
		free(pids);
		return ENOMEM;
	}
	for (i = 0; i < np; i++) {
		struct tk_pstatus st;

		if (tk_proc_status(pids[i], &st) == 0 && st.tracer > 0)
			v[cnt++] = st.tracer;
	}
	free(pids);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), tk_cmp_pid);
	*list = v;
	*n = cnt;
	return 0;
}

/* Append root and its descendants, parents before children. */
static void tk_tree_walk(const struct tk_pstat *all, size_t nall, size_t root,
			 struct tk_pstat *out, size_t *nout, unsigned char *seen)
{
	size_t i;

	seen[root] = 1;
	out[(*nout)++] = all[root];
	for (i = 0; i < nall; i++) {
		if (!seen[i] && all[i].ppid == all[root].pid && all[i].pid != all[root].pid)
			tk_tree_walk(all, nall, i, out, nout, seen);
	}
}

int tk_proc_resolve(int scope, pid_t id, struct tk_pstat **out, size_t *n)
{
	struct tk_pstat *all = NULL, *v = NULL;
	size_t nall = 0, i, cnt = 0;
	struct tk_pstatus ps;
	int err;

	if (id <= 0)
		return ESRCH;
	if (scope == CR_SCOPE_PROC || scope == CR_SCOPE_TREE) {
		/* Any thread id names its process. */
		err = tk_proc_status(id, &ps);
		if (err != 0)
			return err == ESRCH ? ESRCH : err;
		id = ps.tgid;
	}
	if (scope == CR_SCOPE_PROC) {
		v = malloc(sizeof(*v));
		if (v == NULL)
			return ENOMEM;
		err = tk_proc_stat(id, v);
		if (err != 0) {
			free(v);
			return err;
		}
		*out = v;
		*n = 1;
		return 0;
	}
	err = tk_proc_scan(&all, &nall);
	if (err != 0)
		return err;
	v = malloc((nall ? nall : 1) * sizeof(*v));
	if (v == NULL) {
		free(all);
		return ENOMEM;
	}
	if (scope == CR_SCOPE_TREE) {
		unsigned char *seen = calloc(nall ? nall : 1, 1);

		if (seen == NULL) {
			free(all);
			free(v);
			return ENOMEM;
		}
		for (i = 0; i < nall; i++) {
			if (all[i].pid == id) {
				tk_tree_walk(all, nall, i, v, &cnt, seen);
				break;
			}
		}
		free(seen);
	} else {
		for (i = 0; i < nall; i++) {
			pid_t key = scope == CR_SCOPE_PGRP ? all[i].pgrp : all[i].sid;

			if (key == id)
				v[cnt++] = all[i];
		}
		if (cnt > 1)
			qsort(v, cnt, sizeof(*v), tk_cmp_pstat);
	}
	free(all);
	if (cnt == 0) {
		free(v);
		return ESRCH;
	}
	*out = v;
	*n = cnt;
	return 0;
}
