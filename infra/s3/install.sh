#!/usr/bin/env bash
# Builds versitygw, the S3-compatible gateway the tests and the demo upload to.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
go_install_pinned versitygw "$VERSITYGW_MODULE" "$VERSITYGW_VERSION"
