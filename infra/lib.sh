# Shared by the infra scripts: where binaries go and how to fail clearly.
set -euo pipefail
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN_DIR="${RELFORGE_BIN_DIR:-$INFRA_DIR/.bin}"
# shellcheck source=versions.env
source "$INFRA_DIR/versions.env"

die() {
  printf 'relforge infra: %s\n' "$*" >&2
  exit 1
}

require_go() {
  command -v go >/dev/null 2>&1 ||
    die "Go toolchain not found on PATH. Install Go >= 1.22 (e.g. /usr/local/go/bin) and re-run: the local servers are built from Go modules."
}

# go_install_pinned NAME MODULE VERSION [FALLBACK...]
# Builds MODULE@VERSION into $BIN_DIR/NAME unless that exact version is already
# there (a stamp file records what was built, since the binaries' own --version
# output differs per tool).
go_install_pinned() {
  local name=$1 module=$2
  shift 2
  local stamp="$BIN_DIR/$name.version"
  if [[ -x "$BIN_DIR/$name" && -f "$stamp" ]]; then
    local have
    have=$(cat "$stamp")
    for v in "$@"; do
      if [[ "$have" == "$module@$v" ]]; then
        echo "$name: $have already built in $BIN_DIR"
        return 0
      fi
    done
  fi
  require_go
  mkdir -p "$BIN_DIR"
  local log
  log=$(mktemp)
  for v in "$@"; do
    echo "$name: building $module@$v from the Go module proxy (first time takes minutes)..."
    if GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$module@$v" >"$log" 2>&1; then
      echo "$module@$v" >"$stamp"
      rm -f "$log"
      echo "$name: built $BIN_DIR/$name ($module@$v)"
      return 0
    fi
    echo "$name: go install $module@$v failed:" >&2
    tail -n 5 "$log" >&2
  done
  rm -f "$log"
  die "could not build $name from $module at any of: $*. Check that the Go module proxy (GOPROXY=$(go env GOPROXY)) serves these versions, or pin another in infra/versions.env."
}
