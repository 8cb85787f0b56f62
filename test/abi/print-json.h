/* The JSON printing shared by the ABI print programs (test/abi/print-*.c, test/dm/print-dm-abi.c):
 * one "key": number line each; ABI_BEGIN and ABI_END open and close the document. */
#ifndef CR_TEST_PRINT_JSON_H
#define CR_TEST_PRINT_JSON_H
#include <stddef.h>
#include <stdio.h>

#define SZ(t) printf("\"sizeof %s\": %zu,\n", #t, sizeof(t))
#define AL(t) printf("\"alignof %s\": %zu,\n", #t, _Alignof(t))
#define OFF(t, m) printf("\"offsetof %s.%s\": %zu,\n", #t, #m, offsetof(t, m))
#define NUM(n) printf("\"%s\": %lld,\n", #n, (long long)(n))
#define ABI_BEGIN() printf("{\n")
#define ABI_END() printf("\"end\": 0\n}\n")

#endif
