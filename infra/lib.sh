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

# The name `go install` gives MODULE's binary: the last element of its path, or the one before a major-version
# suffix (github.com/nats-io/nats-server/v2 builds `nats-server`).
go_binary_name() {
  local path=$1
  [[ "${path##*/}" =~ ^v[0-9]+$ ]] && path=${path%/*}
  echo "${path##*/}"
}

# go_install_pinned NAME MODULE VERSION [FALLBACK...]
# Builds MODULE@VERSION into $BIN_DIR/NAME unless that exact version is already
# there (a stamp file records what was built, since the binaries' own --version
# output differs per tool). `go install` names a binary after the last element
# of its package path (`.../cmd/server` gives `server`), so it builds into a
# folder of its own and the binary is moved to NAME.
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
  local log gobin
  log=$(mktemp)
  gobin=$(mktemp -d)
  for v in "$@"; do
    echo "$name: building $module@$v from the Go module proxy (first time takes minutes)..."
    if GOBIN="$gobin" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$module@$v" >"$log" 2>&1; then
      mv -f "$gobin/$(go_binary_name "$module")" "$BIN_DIR/$name"
      echo "$module@$v" >"$stamp"
      rm -rf "$log" "$gobin"
      echo "$name: built $BIN_DIR/$name ($module@$v)"
      return 0
    fi
    echo "$name: go install $module@$v failed:" >&2
    tail -n 5 "$log" >&2
  done
  rm -rf "$log" "$gobin"
  die "could not build $name from $module at any of: $*. Check that the Go module proxy (GOPROXY=$(go env GOPROXY)) serves these versions, or pin another in infra/versions.env."
}

# copy_module_dir_pinned NAME MODULE VERSION SUBDIR
# Copies the contents of SUBDIR of MODULE@VERSION (downloaded into the Go
# module cache) to $BIN_DIR/NAME, with a stamp like the binaries'. For files a module ships
# beside its code, e.g. the Temporal server's SQL schemas.
copy_module_dir_pinned() {
  local name=$1 module=$2 version=$3 subdir=$4
  local stamp="$BIN_DIR/$name.version"
  if [[ -d "$BIN_DIR/$name" && -f "$stamp" && "$(cat "$stamp")" == "$module@$version:$subdir" ]]; then
    echo "$name: $module@$version $subdir already copied to $BIN_DIR"
    return 0
  fi
  require_go
  local dir
  dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') ||
    die "could not download $module@$version from the Go module proxy (GOPROXY=$(go env GOPROXY))."
  [[ -d "$dir/$subdir" ]] || die "$module@$version has no $subdir (looked in $dir)."
  rm -rf "${BIN_DIR:?}/$name"
  mkdir -p "$BIN_DIR/$name"
  cp -R "$dir/$subdir/." "$BIN_DIR/$name/"
  # The module cache is read-only; the copy must be removable by the next install.
  chmod -R u+w "$BIN_DIR/$name"
  echo "$module@$version:$subdir" >"$stamp"
  echo "$name: copied $subdir of $module@$version to $BIN_DIR/$name"
}
