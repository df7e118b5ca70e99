#!/bin/sh
# The example's tests: the built program greets and reports its build.
set -eu
hello=$1 version=$2 distro=$3 arch=$4
[ "$(sh "$hello")" = "Hello, world!" ] || { echo "FAIL: default greeting"; exit 1; }
[ "$(sh "$hello" Valkey)" = "Hello, Valkey!" ] || { echo "FAIL: named greeting"; exit 1; }
[ "$(sh "$hello" --version)" = "hello $version ($distro/$arch)" ] || { echo "FAIL: --version"; exit 1; }
echo "ok: hello $version ($distro/$arch)"
