#!/usr/bin/env bash
# Builds the servers from Go modules; safe to re-run (skips what is built).
# `install.sh demo` builds only what the demo runs (the Temporal dev server with its UI, the S3 server, NATS);
# with no argument, or `all`, it also builds what only the tests and production use: the production Temporal
# server and its schema tool, cosign, and Debian's chromium for the board's browser tests.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
what=${1:-all}
case "$what" in
  demo | all) ;;
  *) die "usage: bash infra/install.sh [demo|all] (got '${what}')" ;;
esac
bash "$INFRA_DIR/temporal/install.sh"
bash "$INFRA_DIR/s3/install.sh"
bash "$INFRA_DIR/nats/install.sh"
[[ "$what" == demo ]] && exit 0
bash "$INFRA_DIR/production/install.sh"
bash "$INFRA_DIR/cosign/install.sh"
bash "$INFRA_DIR/chromium/install.sh"
