#!/usr/bin/env bash
# Creates or upgrades the Temporal server's two PostgreSQL databases with
# temporal-sql-tool and the schemas of the server version in infra/versions.env.
#
#   schema.sh setup    create both databases if missing, then apply every schema version (safe to re-run)
#   schema.sh update   upgrade both to the schemas of the installed server (after building a new version)
#
# Reads the server's own variables (../systemd/temporal-server.env.example):
# TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER, TEMPORAL_DB_PASSWORD,
# TEMPORAL_DB_NAME, TEMPORAL_VISIBILITY_DB_NAME.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

what=${1:-}
[[ "$what" == setup || "$what" == update ]] || die "usage: schema.sh setup|update (got '${what}')"
tool="$BIN_DIR/temporal-sql-tool"
schemas="$BIN_DIR/temporal-schema"
[[ -x "$tool" && -d "$schemas" ]] ||
  die "temporal-sql-tool or its schemas are not built (looked in $BIN_DIR): run \`bash infra/production/install.sh\`."

export SQL_PLUGIN=postgres12
export SQL_HOST=${TEMPORAL_DB_HOST:-127.0.0.1}
export SQL_PORT=${TEMPORAL_DB_PORT:-5432}
export SQL_USER=${TEMPORAL_DB_USER:-temporal}
# Through the environment, never argv: `ps` would show it.
export SQL_PASSWORD=${TEMPORAL_DB_PASSWORD:-}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# run STEP ARGS...: temporal-sql-tool, quiet unless it fails. It logs some
# errors and still exits 0, so its log is checked too.
run() {
  local step=$1
  shift
  if ! "$tool" "$@" >"$log" 2>&1 || grep -q 'ERROR' "$log"; then
    local cause
    cause=$(grep -o '"error": "[^"]*"' "$log" | tail -n 1 | sed 's/"error": //')
    die "$step failed on $SQL_USER@$SQL_HOST:$SQL_PORT: ${cause:-$(tail -n 1 "$log")}. Check that PostgreSQL runs there and TEMPORAL_DB_USER may create databases (or create them first), then re-run \`schema.sh $what\`."
  fi
}

for kind in temporal visibility; do
  if [[ "$kind" == temporal ]]; then db=${TEMPORAL_DB_NAME:-temporal}; else db=${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}; fi
  if [[ "$what" == setup ]]; then
    run "creating database $db" --db "$db" create-database
    # Version 0.0 only creates the version tables; update-schema applies every version after it.
    run "setting up $db" --db "$db" setup-schema -v 0.0
  fi
  run "updating $db" --db "$db" update-schema -d "$schemas/$kind/versioned"
  echo "$db: $kind schema at version $(grep -oE '(current version|to) [0-9]+\.[0-9]+' "$log" | tail -n 1 | awk '{print $NF}')"
done
