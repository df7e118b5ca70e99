#!/usr/bin/env bash
# One command from a fresh machine to the demo or the tests: checks Node,
# installs the pinned pnpm and the dependencies, builds the local servers from
# Go modules and the workspace, then runs what was asked. Safe to re-run: each
# step skips what is already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source infra/versions.env
# Turborepo sends anonymous usage data unless told not to; the project's scripts never do.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

die() {
  printf 'relforge bootstrap: %s\n' "$*" >&2
  exit 1
}

what=${1:-}
case "$what" in
  demo | test | setup) ;;
  *) die "usage: bash infra/bootstrap.sh demo|test|setup (got '${what}')" ;;
esac

command -v node >/dev/null 2>&1 || die "Node.js not found on PATH. Install Node.js 20.19 or newer, then re-run."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node.js $(node --version) is too old. Install Node.js 20.19 or newer, then re-run."
if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "installing pnpm $PNPM_VERSION (pinned in package.json and infra/versions.env)..."
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null ||
    die "could not install pnpm@$PNPM_VERSION with npm. Check that the npm registry is reachable, then re-run."
fi
pnpm install --frozen-lockfile --reporter=append-only
# The demo builds only the servers it runs; the tests and `setup` build them all.
if [[ "$what" == demo ]]; then bash infra/install.sh demo; else bash infra/install.sh all; fi
pnpm build --output-logs=errors-only

# `relforge` on the PATH: a link in npm's global bin folder, where npm put pnpm above (so it is on the PATH).
global_bin="$(npm prefix --global)/bin"
ln -sfn "$(pwd)/apps/cli/dist/main.js" "$global_bin/relforge"
if [[ "$(command -v relforge || true)" != "$global_bin/relforge" ]]; then
  echo "relforge bootstrap: linked $global_bin/relforge, but the PATH finds $(command -v relforge || echo nothing) first; put $global_bin first on your PATH" >&2
fi

case "$what" in
  setup) echo "set up: servers in infra/.bin, workspace built, relforge on the PATH ($global_bin/relforge)" ;;
  demo) node apps/cli/dist/main.js demo ;;
  test)
    servers() { pgrep -f "$(pwd)/(infra/(\.bin/|github-standin/dist/main)|apps/gateway/dist/main)" | sort || true; }
    before=$(servers)
    rm -rf .relforge/test-results
    pnpm format:check >/dev/null || die 'code is not formatted: run `pnpm format`, then commit'
    pnpm typecheck --output-logs=errors-only
    pnpm lint --output-logs=errors-only
    # No import circles, no production import of the dev machinery, workflow code replayable (.dependency-cruiser.cjs).
    pnpm --silent deps || die 'the imports break the rules printed above (.dependency-cruiser.cjs): fix them, then commit'
    status=0
    pnpm test || status=$?
    node packages/testkit/dist/summary.js || status=1
    # Every suite must tear down the servers it started.
    leftover=$(comm -13 <(echo "$before") <(servers))
    if [[ -n "$leftover" ]]; then
      echo "relforge bootstrap: the tests left server processes behind:" >&2
      ps -o pid=,args= -p $(echo $leftover | tr ' ' ',') >&2 || true
      kill $leftover 2>/dev/null || true
      status=1
    fi
    exit "$status"
    ;;
esac
