/*
 * memfill - a benchmark target: holds MIB mebibytes of written (non-zero, page-distinct) memory.
 *
 *   memfill MIB READY_FILE
 *
 * Allocates and fills the memory, writes its pid to READY_FILE (write to a temporary, rename),
 * then sleeps in pause() until a signal ends it. Exits 1 on any failure, saying which.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end, tmp[4096];
	unsigned long mib;
	unsigned char *mem;
	size_t len, off;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: memfill MIB READY_FILE\n");
		return 1;
	}
	errno = 0;
	mib = strtoul(argv[1], &end, 10);
	if (errno || *end || mib == 0 || mib > (1UL << 20)) {
		fprintf(stderr, "memfill: bad size '%s'\n", argv[1]);
		return 1;
	}
	len = mib << 20;
	mem = malloc(len);
	if (!mem) {
		fprintf(stderr, "memfill: malloc %lu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	for (off = 0; off < len; off += 4096)
		memset(mem + off, (int)((off >> 12) % 255) + 1, len - off < 4096 ? len - off : 4096);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]) >= (int)sizeof(tmp)) {
		fprintf(stderr, "memfill: READY_FILE too long\n");
		return 1;
	}
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, argv[2]) != 0) {
		fprintf(stderr, "memfill: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (;;)
		pause();
}
