/* A minimal test harness: CHECK records a failure and carries on; main returns the verdict. */
#ifndef SCOPE_CHECK_H
#define SCOPE_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		check_count++;                                                         \
		if (!(cond)) {                                                         \
			check_failures++;                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                                 \
	do {                                                                            \
		const char *a_ = (a), *b_ = (b);                                        \
		check_count++;                                                          \
		if (strcmp(a_, b_)) {                                                   \
			check_failures++;                                               \
			fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, #a, a_, b_); \
		}                                                                       \
	} while (0)

#define CHECK_DONE()                                                                   \
	do {                                                                           \
		printf("%d checks, %d failed\n", check_count, check_failures);        \
		return check_failures ? 1 : 0;                                         \
	} while (0)
#endif
