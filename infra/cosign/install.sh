#!/usr/bin/env bash
# Builds cosign, a verifier Relforge did not write: the tests check the release's signed provenance and publish
# attestation with `cosign verify-blob-attestation --key`, offline.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
go_install_pinned cosign "$COSIGN_MODULE" "$COSIGN_VERSION"
