/*
 * tk_util.c - env knobs, whole-file reads, time and directory helpers.
 * Everything here uses the real libc functions (never the interposed ones).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk_internal.h"

uint64_t tk_env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end = NULL;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		return dflt;
	return (uint64_t)v;
}

const char *tk_env_str(const char *name, const char *dflt)
{
	const char *s = getenv(name);

	return (s != NULL && *s != '\0') ? s : dflt;
}

int tk_read_fd(int fd, char **buf, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *b = malloc(cap);

	if (b == NULL)
		return ENOMEM;
	for (;;) {
		ssize_t r;

		if (cap - used < 2) {
			char *nb = realloc(b, cap * 2);

			if (nb == NULL) {
				free(b);
				return ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + used, cap - used - 1);
		if (r < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			free(b);
			return err;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	return 0;
}

int tk_read_file(const char *path, char **buf, size_t *len)
{
	int fd = tk_real_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
	int err;

	if (fd < 0)
		return errno;
	err = tk_read_fd(fd, buf, len);
	tk_real_close(fd);
	return err;
}

int tk_readlink(const char *path, char *buf, size_t size)
{
	ssize_t r = readlink(path, buf, size - 1);

	if (r < 0) {
		buf[0] = '\0';
		return errno;
	}
	buf[r] = '\0';
	return 0;
}

int64_t tk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tk_sleep_ns(int64_t ns)
{
	struct timespec ts;

	if (ns <= 0)
		return;
	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int tk_ensure_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 01777) == 0) {
		/* mkdir applied the umask: set the sticky, world-writable mode. */
		if (chmod(dir, 01777) != 0)
			return errno;
		return 0;
	}
	if (errno != EEXIST)
		return errno;
	if (stat(dir, &st) != 0)
		return errno;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

int tk_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

const char *tk_errname(int err)
{
	switch (err) {
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EMLINK: return "EMLINK";
	case EPIPE: return "EPIPE";
	case EDEADLK: return "EDEADLK";
	case CR_ETEMPFAIL: return "CR_ETEMPFAIL";
	case CR_EPERMFAIL: return "CR_EPERMFAIL";
	case CR_ENOSUPPORT: return "CR_ENOSUPPORT";
	case CR_EPTRACED: return "CR_EPTRACED";
	case CR_EPTRACER: return "CR_EPTRACER";
	default: return "error";
	}
}
