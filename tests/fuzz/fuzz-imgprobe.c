/* fuzz-imgprobe.c - libFuzzer harness for imgprobe (cgi-src/imgprobe.c).
 *
 * The input is the head of a file a writer dropped beside an article: any
 * bytes.  Besides memory errors (ASan/UBSan), it aborts when a size comes
 * back half set or out of range, or when the type disagrees with the one
 * the magic bytes alone give. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "imgprobe.h"
#include "log.h"

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	xmlInitParser();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned w = 7, h = 7;
	enum img_type t = imgprobe(data, size, &w, &h);

	if ((w == 0) != (h == 0) || w > IMGPROBE_MAX_SIDE ||
	    h > IMGPROBE_MAX_SIDE)
		abort();
	if (t != imgprobe_type(data, size) || t >= IMG__MAX)
		abort();
	if (t == IMG_UNKNOWN && w != 0)
		abort();
	return 0;
}
