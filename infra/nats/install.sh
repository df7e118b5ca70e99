#!/usr/bin/env bash
# Builds nats-server, the JetStream server that keeps each release's events (its durable log).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
go_install_pinned nats-server "$NATS_SERVER_MODULE" "$NATS_SERVER_VERSION"
