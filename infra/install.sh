#!/usr/bin/env bash
# Builds every server from Go modules; safe to re-run (skips what is built).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$INFRA_DIR/temporal/install.sh"
bash "$INFRA_DIR/s3/install.sh"
bash "$INFRA_DIR/nats/install.sh"
bash "$INFRA_DIR/production/install.sh"
bash "$INFRA_DIR/cosign/install.sh"
bash "$INFRA_DIR/chromium/install.sh"
