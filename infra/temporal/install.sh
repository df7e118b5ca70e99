#!/usr/bin/env bash
# Builds the Temporal CLI (dev server + Web UI in one binary) from Go modules.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck disable=SC2086
go_install_pinned temporal "$TEMPORAL_CLI_MODULE" "$TEMPORAL_CLI_VERSION" $TEMPORAL_CLI_FALLBACKS
