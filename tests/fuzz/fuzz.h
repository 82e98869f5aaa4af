/* fuzz.h - the libFuzzer entry points every harness here defines (the
 * prototypes keep -Wmissing-prototypes quiet and the signatures in one
 * place). */
#ifndef XP_FUZZ_H
#define XP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Once, before any input: quiet the log, set up the libraries. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* One input of SIZE bytes; returns 0 (libFuzzer reserves the rest). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Makes the harness NAME a folder of its own for the files its inputs
 * are written to: in memory (/dev/shm) when it can, else in /tmp; aborts
 * when neither works.  OUT (SIZE bytes) receives its path. */
static inline void
fuzz_scratch_dir(const char *name, char *out, size_t size)
{
	snprintf(out, size, "/dev/shm/xp-fuzz-%s.XXXXXX", name);
	if (mkdtemp(out) != NULL)
		return;
	snprintf(out, size, "/tmp/xp-fuzz-%s.XXXXXX", name);
	if (mkdtemp(out) == NULL)
		abort();
}

#endif
