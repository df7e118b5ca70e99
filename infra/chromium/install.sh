#!/usr/bin/env bash
# Installs Debian's chromium, the real browser the board's tests drive through playwright-core (issue 10).
# `npx playwright install` downloads a browser from the internet, which this kind of machine cannot reach; Debian's
# package comes from the Debian mirror like every other system package. Skipped when it is already installed; waits
# for another apt-get holding the dpkg lock (a second checkout bootstrapping at the same time) instead of failing.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
command -v apt-get >/dev/null 2>&1 ||
  die "chromium not found and apt-get is not available: install the chromium package, then re-run."
sudo=""
[[ "$(id -u)" == 0 ]] || sudo="sudo"
echo "chromium: installing Debian's chromium package for the board's browser tests (first time takes a minute)..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >/dev/null ||
  { $sudo apt-get -o DPkg::Lock::Timeout=600 update >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >/dev/null; } ||
  die "could not install chromium with apt-get. Check that the Debian mirror is reachable, then re-run."
command -v chromium >/dev/null 2>&1 || die "apt-get installed chromium but it is not on the PATH (expected /usr/bin/chromium)."
