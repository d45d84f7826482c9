/* hex2bin [SKIP]: hex text on stdin (whitespace between bytes ignored, as in the .hex files of tests/golden/v1)
 * to bytes on stdout, leaving out the first SKIP bytes. Builds binary seeds for the fuzz targets. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long skip = argc > 1 ? strtol(argv[1], NULL, 10) : 0, n = 0;
	int c, hi = -1;
	while ((c = getchar()) != EOF) {
		if (isspace(c))
			continue;
		if (!isxdigit(c)) {
			fprintf(stderr, "hex2bin: not a hex digit: '%c'\n", c);
			return 1;
		}
		int v = isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n++ >= skip)
			putchar(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		fprintf(stderr, "hex2bin: odd number of hex digits\n");
		return 1;
	}
	return fflush(stdout) != 0;
}
