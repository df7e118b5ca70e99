#!/usr/bin/env bash
# Builds the production Temporal server and temporal-sql-tool from Go modules,
# and copies the PostgreSQL schemas the tool applies out of the same module.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
go_install_pinned temporal-server "$TEMPORAL_SERVER_MODULE" "$TEMPORAL_SERVER_VERSION"
go_install_pinned temporal-sql-tool "$TEMPORAL_SQL_TOOL_MODULE" "$TEMPORAL_SERVER_VERSION"
copy_module_dir_pinned temporal-schema "$TEMPORAL_SCHEMA_MODULE" "$TEMPORAL_SERVER_VERSION" schema/postgresql/v12
