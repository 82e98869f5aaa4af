/* imgprobe.h - an image's type and pixel size from its first bytes.
 *
 * The bytes are untrusted (anything a writer drops beside an article), so
 * every reader here is bounded by LEN and has a fuzzer (tests/fuzz). */
#ifndef XP_IMGPROBE_H
#define XP_IMGPROBE_H

#include <stdbool.h>
#include <stddef.h>

enum img_type {
	IMG_UNKNOWN,
	IMG_PNG,
	IMG_JPEG,
	IMG_GIF,
	IMG_WEBP,
	IMG_AVIF,
	IMG_SVG,
	IMG__MAX
};

/* Largest side we report: anything bigger is treated as unreadable. */
#define IMGPROBE_MAX_SIDE 100000u

/* What the magic bytes of DATA (LEN bytes) say the file is. */
enum img_type imgprobe_type(const unsigned char *data, size_t len);

/* Reads the width and height of the image in DATA (LEN bytes, possibly
 * only the head of the file).  Returns its type and sets *W and *H when
 * they could be read and lie in 1..IMGPROBE_MAX_SIDE; returns the type
 * with *W = *H = 0 when they could not.  Allocates nothing it keeps. */
enum img_type imgprobe(const unsigned char *data, size_t len, unsigned *w,
    unsigned *h);

/* "png", "jpeg"... for messages. */
const char *imgprobe_name(enum img_type t);

#endif
