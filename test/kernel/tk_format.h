/*
 * tk_format.h - the test kernel's own layout inside a context file.
 *
 * The outer frame (file header, section headers, trailer, vmadump header)
 * follows spec §6 and cr_blcr.h. What a real vmadump stream holds (registers,
 * mmaps, pages) is replaced by the records below; README.md describes them.
 * test/kernel/testkernel.test.ts mirrors these numbers.
 */
#ifndef TK_FORMAT_H
#define TK_FORMAT_H

#include <stdint.h>

/* Payload records: {uint32 tag, uint32 reserved (0), uint64 length, bytes}. */
#define TK_REC_END        0u  /* length 0, closes a process's payload */
#define TK_REC_EXE        1u  /* readlink /proc/PID/exe */
#define TK_REC_CWD        2u  /* readlink /proc/PID/cwd */
#define TK_REC_ARGV       3u  /* /proc/PID/cmdline, NUL-separated */
#define TK_REC_ENVIRON    4u  /* /proc/PID/environ, NUL-separated */
#define TK_REC_COMM       5u  /* /proc/PID/comm without the newline */
#define TK_REC_STATE      6u  /* the stub's state blob (may be empty) */
#define TK_REC_FDS        7u  /* text, one line per fd: "fd flags pos path" */
#define TK_REC_MAPS       8u  /* /proc/PID/maps text */
#define TK_REC_EXEFILE    9u  /* executable contents (CR_CHKPT_DUMP_EXEC) */
#define TK_REC_PRIVFILE  10u  /* path, NUL, contents (CR_CHKPT_DUMP_PRIVATE) */
#define TK_REC_SHAREDFILE 11u /* path, NUL, contents (CR_CHKPT_DUMP_SHARED) */
#define TK_REC_PAGES     12u  /* filler standing for memory pages */

struct tk_record_header {
	uint32_t tag;
	uint32_t reserved;
	uint64_t length;
};

/* Byte i of a PAGES record (deterministic, independent of the process). */
#define TK_PAGE_BYTE(i) ((uint8_t)(((uint32_t)(i) * 2654435761u) >> 24))

/*
 * One linkage entry per thread (the real struct cr_context_tasklinkage is
 * 112 bytes on x86_64; this is our own content in the same size).
 */
struct tk_linkage {
	int32_t tid;          /*  0 */
	int32_t tgid;         /*  4 */
	int32_t ppid;         /*  8 parent's tgid */
	int32_t pgid;         /* 12 */
	int32_t sid;          /* 16 */
	uint32_t uid;         /* 20 real */
	uint32_t euid;        /* 24 */
	uint32_t gid;         /* 28 real */
	uint32_t egid;        /* 32 */
	int32_t thread_index; /* 36 0 for the first tid listed */
	int32_t num_threads;  /* 40 */
	int32_t state;        /* 44 the State: letter of the thread, e.g. 'S' */
	char comm[16];        /* 48 the thread's comm, NUL padded */
	uint8_t pad[48];      /* 64 zero */
};

_Static_assert(sizeof(struct tk_linkage) == 112, "linkage entry must be 112 bytes");
_Static_assert(sizeof(struct tk_record_header) == 16, "record header must be 16 bytes");

#endif
