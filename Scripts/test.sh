#!/bin/sh
# Runs every test (what CI runs): installs what the tests need, then swift test.
set -eu
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift test "$@"
