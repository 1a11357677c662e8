#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds a consumer with
# find_package(sessionspace), one with pkg-config and one that vendors the source tree
# with add_subdirectory(), and runs each on the demo image.
# usage: check_install.sh BUILD_DIR SOURCE_DIR MKIMAGE
set -euo pipefail
build=$1 src=$2 mkimage=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ss-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$mkimage" "$tmp/demo.raw" > "$tmp/demo.txt"
dtb=$(awk '$1=="dtb_session1"{print $2}' "$tmp/demo.txt")
expect="ok 0x900abc"

cmake -S "$src/tests/install/consumer" -B "$tmp/cmake-consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake-consumer" >/dev/null
got=$("$tmp/cmake-consumer/consumer" "$tmp/demo.raw" "$dtb" 'fffff99b`3c078abc')
[ "$got" = "$expect" ] || { echo "find_package consumer printed '$got', expected '$expect'"; exit 1; }

libdir=$(ls -d "$tmp/prefix"/lib*/pkgconfig | head -1)
flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs --static sessionspace)
cc -std=c11 -o "$tmp/pc-consumer" "$src/tests/install/consumer/main.c" $flags
got=$("$tmp/pc-consumer" "$tmp/demo.raw" "$dtb" 'fffff99b`3c078abc')
[ "$got" = "$expect" ] || { echo "pkg-config consumer printed '$got', expected '$expect'"; exit 1; }
cmake -S "$src/tests/install/vendor" -B "$tmp/vendor" -DSS_SOURCE_DIR="$src" >/dev/null
cmake --build "$tmp/vendor" -j2 >/dev/null
[ ! -e "$tmp/vendor/libsessionspace/tests" ] || { echo "vendored build also built the tests"; exit 1; }
got=$("$tmp/vendor/consumer" "$tmp/demo.raw" "$dtb" 'fffff99b`3c078abc')
[ "$got" = "$expect" ] || { echo "vendored consumer printed '$got', expected '$expect'"; exit 1; }

# The Python package, when the build has the bindings: imported from the prefix alone
# (run from $tmp so the build tree is not on sys.path).
if grep -q '^SS_BUILD_BINDINGS:BOOL=ON' "$build/CMakeCache.txt"; then
  pydir=$(awk -F= '/^SS_PYTHON_INSTALL_DIR:/{print $2}' "$build/CMakeCache.txt")
  [ -f "$tmp/prefix/$pydir/sessionspace/__init__.py" ] || { echo "python package not installed in $pydir"; exit 1; }
  got=$(cd "$tmp" && PYTHONPATH="$tmp/prefix/$pydir" /usr/bin/python3 -c '
import sys, sessionspace
assert sessionspace.__file__.startswith(sys.argv[1]), sessionspace.__file__
with sessionspace.open(sys.argv[2]) as src:
    print("ok", hex(src.space(sys.argv[3], "x64").pa("fffff99b`3c078abc")))' "$tmp/prefix" "$tmp/demo.raw" "$dtb")
  [ "$got" = "$expect" ] || { echo "installed python package printed '$got', expected '$expect'"; exit 1; }
  echo "install: the python package imports from $pydir and prints '$expect'"
fi
echo "install: find_package, pkg-config and add_subdirectory consumers all print '$expect'"
