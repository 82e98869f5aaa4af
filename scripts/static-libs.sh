#!/bin/sh
# scripts/static-libs.sh DIR — build the libraries of the static binary
# (make static) into DIR/root, with musl, from Debian's own source packages
# of this release, so Debian's security patches are in.
#
#   DIR/src/    what `apt-get source` fetched and unpacked (patches applied)
#   DIR/root/   include/ and lib/ of static libxml2, libxslt, libexslt,
#               libfcgi, zlib, libwebpdecoder, libstemmer and stb_image
#   DIR/kinc/   the kernel's uapi headers (linux/, asm/) for musl-gcc
#
# Each library is built once: DIR/root/.NAME-VERSION-SUM marks it done (SUM
# of this script and the patch: a changed option rebuilds), so a second run
# takes no time.  Configured small: no ICU, lzma, zlib, Python,
# HTTP/FTP, catalogs, modules, schemas, writers, crypto, debugger: only
# what libxslt and the program use (imgprobe.c reads SVG sizes with
# libxml2's xmlTextReader).  zlib: the static library alone.
# libwebp: only libwebpdecoder (WebPGetInfo), with its plain makefile.unix.
# snowball (libstemmer0d's source): the UTF-8 stemmers alone, the only
# encoding the program asks for.  stb_image: the header Debian installs
# (libstb-dev, from Debian's stb source package) compiled by
# scripts/static-stb.c, PNG/JPEG/GIF only, the formats imgprobe asks it for.
#
# libfcgi carries scripts/libfcgi-param-cap.patch: the packaged 2.4.2
# reserves a parameter's announced length before reading it (a 13-byte
# record makes it reserve 2 GiB); the patch refuses lengths over 1 MiB.
#
# `apt-get source` needs a deb-src entry: as root, one is added for the
# archives the system already uses (same URIs and suites), in
# /etc/apt/sources.list.d/xsltpress-deb-src.sources.
set -eu

dir=${1:?usage: $0 DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/src" "$dir/root/lib" "$dir/root/include" "$dir/kinc"
dir=$(cd "$dir" && pwd)
root=$dir/root
jobs=$(nproc 2>/dev/null || echo 2)
sum=$(cat "$0" "$here/libfcgi-param-cap.patch" "$here/static-stb.c" |
      cksum | cut -d' ' -f1)
export CC=musl-gcc
export CFLAGS="-O2 -ffunction-sections -fdata-sections"

command -v musl-gcc >/dev/null || {
    echo "static-libs.sh: musl-gcc missing (scripts/deps.sh static)" >&2; exit 1; }

# The Debian versions of the source package NAME, newest first.
src_versions() {
    apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ { print $2 }' |
        sort -rVu
}

src_version() {
    src_versions "$1" | head -1
}

ensure_deb_src() {
    [ -n "$(src_version libxml2)" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "static-libs.sh: apt has no deb-src entry; as root, add one" \
             "(see $0) and run apt-get update" >&2
        exit 1
    fi
    list=/etc/apt/sources.list.d/xsltpress-deb-src.sources
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' \
            /etc/apt/sources.list.d/debian.sources > "$list"
    else
        grep -h '^deb ' /etc/apt/sources.list |
            sed 's/^deb /deb-src /' > "${list%.sources}.list"
    fi
    echo "static-libs.sh: added deb-src entries; apt-get update" >&2
    apt-get -o DPkg::Lock::Timeout=120 update -qq
}

# Unpacks source package $1 into DIR/src once; prints its folder.  The
# newest version first; when a mirror no longer has it (a security
# update's files can be missing from a mirror), the next one, with a
# warning.
fetch() {
    folder=
    for ver in $(src_versions "$1"); do
        upstream=${ver#*:}
        upstream=${upstream%-*}
        [ ! -d "$dir/src/$1-$upstream" ] || { echo "$dir/src/$1-$upstream"; return 0; }
    done
    for ver in $(src_versions "$1"); do
        upstream=${ver#*:}
        upstream=${upstream%-*}
        if (cd "$dir/src" && apt-get source -qq "$1=$ver" >&2); then
            folder=$dir/src/$1-$upstream
            break
        fi
        rm -rf "$dir/src/$1-$upstream"
        echo "static-libs.sh: warning: $1 $ver not fetched, trying an" \
             "older version" >&2
    done
    [ -n "$folder" ] && [ -d "$folder" ] || {
        echo "static-libs.sh: no source of $1 fetched" >&2; exit 1; }
    # Debian's patches touch Makefile.am files (tests, docs); keep the
    # shipped generated files newer so make does not want automake.
    (cd "$folder" && {
        [ ! -e aclocal.m4 ] || { touch aclocal.m4; sleep 1; }
        find . \( -name configure -o -name Makefile.in -o -name config.h.in \) \
            -exec touch {} +
    })
    echo "$folder"
}

kernel_headers() {
    # musl-gcc searches only musl's headers; sandbox.c needs Landlock's.
    for h in linux asm-generic; do
        [ -e "$dir/kinc/$h" ] || ln -s "/usr/include/$h" "$dir/kinc/$h"
    done
    [ -e "$dir/kinc/asm" ] ||
        ln -s "/usr/include/$(gcc -print-multiarch)/asm" "$dir/kinc/asm"
}

# Sets src to the unpacked source of package $1 and stamp to its mark;
# src is empty when that source is already built by this script.
start() {
    src=$(fetch "$1")
    stamp=$root/.$(basename "$src")-$sum
    if [ -e "$stamp" ]; then
        src=
        return 0
    fi
    echo "static-libs.sh: building $(basename "$src")${2:-}" >&2
}

build_libxml2() {
    start libxml2
    [ -n "$src" ] || return 0
    (cd "$src" &&
     { [ ! -f Makefile ] || make -s distclean >/dev/null 2>&1 || true; } &&
     ./configure -q --prefix="$root" --disable-shared --enable-static \
        --without-python --without-icu --without-lzma --without-zlib \
        --without-http --without-ftp --without-catalog --without-modules \
        --without-debug --without-docbook --without-legacy --with-threads \
        --without-schemas --without-schematron --without-c14n \
        --with-reader --without-writer --without-regexps \
        --without-pattern &&
     make -s -j"$jobs" libxml2.la &&
     make -s install-libLTLIBRARIES install-pkgconfigDATA \
        install-binSCRIPTS install-m4dataDATA &&
     make -s -C include install) >&2
    touch "$stamp"
}

build_libxslt() {
    start libxslt
    [ -n "$src" ] || return 0
    (cd "$src" &&
     { [ ! -f Makefile ] || make -s distclean >/dev/null 2>&1 || true; } &&
     PKG_CONFIG_LIBDIR=$root/lib/pkgconfig PKG_CONFIG_PATH= \
     ./configure -q --prefix="$root" --disable-shared --enable-static \
        --with-libxml-prefix="$root" --without-python --without-crypto \
        --without-debug --without-debugger --without-profiler \
        --without-plugins &&
     make -s -j"$jobs" -C libxslt &&
     make -s -j"$jobs" -C libexslt &&
     make -s -C libxslt install && make -s -C libexslt install) >&2
    touch "$stamp"
}

# libfcgi's source has no configure script (Debian runs autoreconf); the
# two files the program uses need only a small fcgi_config.h.
build_libfcgi() {
    start libfcgi " with the param cap"
    [ -n "$src" ] || return 0
    (cd "$src" &&
     if ! grep -q FCGX_PARAM_LEN_MAX libfcgi/fcgiapp.c; then
         patch -s -p1 < "$here/libfcgi-param-cap.patch"
     fi &&
     cat > include/fcgi_config.h <<'EOF'
#define HAVE_ARPA_INET_H 1
#define HAVE_FILENO_PROTO 1
#define HAVE_FPOS 1
#define HAVE_INTTYPES_H 1
#define HAVE_LIBPTHREAD 1
#define HAVE_LIMITS_H 1
#define HAVE_NETDB_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_SOCKLEN 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRERROR 1
#define HAVE_STRING_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_SOCKET_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1
#define STDC_HEADERS 1
EOF
     mkdir -p obj &&
     for f in fcgiapp os_unix; do
         $CC $CFLAGS -Iinclude -c -o obj/$f.o libfcgi/$f.c || exit 1
     done &&
     ar rcs "$root/lib/libfcgi.a" obj/fcgiapp.o obj/os_unix.o &&
     cp include/fastcgi.h include/fcgiapp.h include/fcgimisc.h \
        include/fcgios.h include/fcgi_config.h "$root/include/") >&2
    touch "$stamp"
}

# zlib: its own small configure, the static library only (gzip of
# cached pages).
build_zlib() {
    start zlib
    [ -n "$src" ] || return 0
    (cd "$src" &&
     { [ ! -f Makefile ] || make -s distclean >/dev/null 2>&1 || true; } &&
     ./configure --static --prefix="$root" >/dev/null &&
     make -s -j"$jobs" libz.a &&
     cp libz.a "$root/lib/" && cp zlib.h zconf.h "$root/include/") >&2
    touch "$stamp"
}

# libwebp: only libwebpdecoder, which holds WebPGetInfo, built with the
# plain makefile.unix (no configure run, no encoder, no sharpyuv).
build_libwebp() {
    start libwebp " (decoder only)"
    [ -n "$src" ] || return 0
    (cd "$src" &&
     { make -s -f makefile.unix clean >/dev/null 2>&1 || true; } &&
     make -s -j"$jobs" -f makefile.unix CC="$CC" \
        CFLAGS="$CFLAGS -DNDEBUG" src/libwebpdecoder.a &&
     cp src/libwebpdecoder.a "$root/lib/libwebp.a" &&
     mkdir -p "$root/include/webp" &&
     cp src/webp/decode.h src/webp/types.h "$root/include/webp/") >&2
    touch "$stamp"
}

# snowball, the source of Debian's libstemmer0d: its compiler writes the
# C stemmers from the .sbl algorithms; only the UTF-8 ones are built, the
# only encoding the program asks sb_stemmer_new for.
build_libstemmer() {
    start snowball
    [ -n "$src" ] || return 0
    (cd "$src" &&
     algos=$(awk '!/^#/ && $2 ~ /UTF_8/ { print $1 }' libstemmer/modules.txt) &&
     make -s -j"$jobs" CC="$CC" snowball libstemmer/modules_utf8.h \
        libstemmer/libstemmer_utf8.c &&
     make -s -j"$jobs" CC="$CC" $(for a in $algos; do
         printf 'src_c/stem_UTF_8_%s.c ' "$a"; done) >/dev/null &&
     objs="libstemmer/libstemmer_utf8.o runtime/api.o runtime/utilities.o
           $(for a in $algos; do printf 'src_c/stem_UTF_8_%s.o ' "$a"; done)" &&
     rm -f $objs &&
     make -s -j"$jobs" CC="$CC" CFLAGS="$CFLAGS" $objs &&
     rm -f "$root/lib/libstemmer.a" &&
     ar rcs "$root/lib/libstemmer.a" $objs &&
     cp include/libstemmer.h "$root/include/") >&2
    touch "$stamp"
}

# stb_image is one header; Debian's libstb is that header compiled.  The
# header libstb-dev installs (from Debian's stb source package, patches
# applied) is compiled here by scripts/static-stb.c rather than fetching
# the source of the whole stb collection for one file.
build_stb() {
    stamp=$root/.stb-$(dpkg-query -W -f '${Version}' libstb-dev)-$sum
    [ -e "$stamp" ] && return 0
    echo "static-libs.sh: building stb_image from libstb-dev's header" >&2
    mkdir -p "$root/include/stb" "$dir/obj-stb"
    cp /usr/include/stb/stb_image.h "$root/include/stb/"
    $CC $CFLAGS -I"$root/include" -c -o "$dir/obj-stb/stb_image.o" \
        "$here/static-stb.c"
    rm -f "$root/lib/libstb.a"
    ar rcs "$root/lib/libstb.a" "$dir/obj-stb/stb_image.o"
    touch "$stamp"
}

ensure_deb_src
kernel_headers
# Fetched one after another (apt), then built in two lines at once: most
# of libxml2's and libxslt's time is their configure scripts, which use
# one core, so the small libraries build on the other meanwhile.
for p in libxml2 libxslt libfcgi zlib libwebp snowball; do
    fetch "$p" >/dev/null
done
(build_libfcgi; build_zlib; build_libwebp; build_libstemmer) &
small=$!
build_libxml2
build_libxslt
wait "$small"
build_stb
