/* fuzz.h - the libFuzzer entry points every harness here defines (the
 * prototypes keep -Wmissing-prototypes quiet and the signatures in one
 * place). */
#ifndef XP_FUZZ_H
#define XP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Once, before any input: quiet the log, set up the libraries. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* One input of SIZE bytes; returns 0 (libFuzzer reserves the rest). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
