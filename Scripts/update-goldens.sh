#!/bin/sh
# Rewrites Generated/ from the current generator, then shows what changed: review before committing.
set -eu
cd "$(dirname "$0")/.."
swift build
GEN_UPDATE_GOLDENS=1 swift test --filter GoldenTests
git status --short Generated/
