#!/usr/bin/env bash
# Builds the C program of README.md's "Using the library" section, as the README prints
# it (extracted here, so the text itself is what is compiled), against the installed
# package: through pkg-config --static and through find_package(); runs both on the
# demo image and checks what they print.
# usage: check_readme.sh BUILD_DIR SOURCE_DIR MKIMAGE
set -euo pipefail
build=$1 src=$2 mkimage=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ss-readme.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The first ```c block after the "## Using the library" heading.
awk '/^## Using the library/ { section = 1 }
     section && !inblock && /^```c$/ { inblock = 1; next }
     inblock && /^```$/ { exit }
     inblock { print }' "$src/README.md" > "$tmp/translate.c"
grep -q 'int main' "$tmp/translate.c" || { echo "no C program found in README.md's 'Using the library'"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$mkimage" "$tmp/demo.raw" > "$tmp/demo.txt"
dtb=$(awk '$1=="dtb_session1"{print $2}' "$tmp/demo.txt")

# Expected, from the demo image's layout (tests/support/mkimage.c): session 1's private
# page of fffff99b`3c078000 is the frame at 9 MiB; its PTE is the fourth entry read.
check() { # check NAME BINARY
    local out rc=0
    out=$("$2" "$tmp/demo.raw" "$dtb" 'fffff99b`3c078c87') || rc=$?
    [ "$rc" = 0 ] || { echo "$1: exit $rc"; exit 1; }
    [ "$(sed -n 1p <<<"$out")" = "0xfffff99b3c078c87 -> 0x900c87" ] || { echo "$1 printed: $out"; exit 1; }
    [ "$(grep -c '^  entry at ' <<<"$out")" = 4 ] || { echo "$1: not 4 entries: $out"; exit 1; }
    grep -q '^  entry at 0x[0-9a-f]* = 0x0*900[0-9a-f]\{3\}$' <<<"$(sed -n 5p <<<"$out")" ||
        { echo "$1: the PTE does not name the 9 MiB frame: $out"; exit 1; }
    # a paged-out page (session 1, fffff99b`3c07b000): not translated, says why
    rc=0
    out=$("$2" "$tmp/demo.raw" "$dtb" 'fffff99b`3c07b000') || rc=$?
    [ "$rc" = 1 ] && grep -q '^0xfffff99b3c07b000: .*paging file' <<<"$out" ||
        { echo "$1 on a paged-out page: exit $rc, printed: $out"; exit 1; }
    # usage
    rc=0; "$2" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || { echo "$1 without arguments: exit $rc"; exit 1; }
}

libdir=$(ls -d "$tmp/prefix"/lib*/pkgconfig | head -1)
flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs --static sessionspace)
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/translate" "$tmp/translate.c" $flags
check pkg-config "$tmp/translate"

mkdir "$tmp/cmake-src"
cp "$tmp/translate.c" "$tmp/cmake-src/"
cat > "$tmp/cmake-src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(readme_example C)
find_package(sessionspace REQUIRED)
add_executable(translate translate.c)
target_compile_options(translate PRIVATE -Wall -Wextra -Werror)
target_link_libraries(translate PRIVATE sessionspace::sessionspace)
CMAKE
cmake -S "$tmp/cmake-src" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
check find_package "$tmp/cmake-build/translate"
echo "readme: the README's example builds with pkg-config --static and find_package, and translates"
