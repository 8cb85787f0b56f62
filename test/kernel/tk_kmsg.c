/*
 * tk_kmsg.c - the emulated kernel log: $CR_TESTKERNEL_DIR/kmsg.
 *
 * BLCR prints to the kernel log (dmesg) with a "blcr: " prefix: every line of
 * a request's log (cr_errbuf_printf also calls printk), and messages that go
 * only there (an unsupported VERSION, "No chkpt_req attached to filp!",
 * "chkpt_watchdog: timeout detected", "File descriptor closed unexpectedly!").
 * The test kernel appends the same lines, one write(2) each with O_APPEND, so
 * that concurrent processes do not interleave within a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk_internal.h"

void tk_kmsg_line(const char *line)
{
	char path[PATH_MAX], buf[1200];
	const char *dir = tk_env_str("CR_TESTKERNEL_DIR", TK_DEFAULT_DIR);
	int fd, n, saved = errno;
	size_t len = strlen(line);

	/* One line per message: BLCR's own trailing newlines are the record's end. */
	while (len > 0 && line[len - 1] == '\n')
		len--;
	if (len == 0)
		goto out;
	n = snprintf(buf, sizeof(buf), "blcr: %.*s\n", (int)len, line);
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(buf)) {
		n = (int)sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/kmsg", dir) >= sizeof(path) || tk_ensure_dir(dir) != 0)
		goto out;
	fd = tk_real_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		goto out;
	/* Shared by every user's processes, like the kernel's: not the umask's. */
	if (fchmod(fd, 0666) != 0)
		errno = 0;  /* not ours: it was made writable by its creator */
	if (write(fd, buf, (size_t)n) != n)
		errno = 0;  /* best effort, like printk */
	tk_real_close(fd);
out:
	errno = saved;
}

void tk_kmsg(const char *fmt, ...)
{
	char line[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tk_kmsg_line(line);
}
