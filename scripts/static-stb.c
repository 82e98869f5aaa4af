/* scripts/static-stb.c - stb_image's implementation for the static build
 * (make static), compiled by scripts/static-libs.sh into libstb.a.
 *
 * Debian's libstb is stb's headers compiled with their *_IMPLEMENTATION
 * macros; this is the same for stb_image alone, from the header Debian
 * installs (libstb-dev).  imgprobe.c asks stb_image only for the sizes of
 * PNG, JPEG and GIF files from memory, so the other formats and the stdio
 * and HDR code are left out: the static binary stays smaller. */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#include <stb/stb_image.h>
