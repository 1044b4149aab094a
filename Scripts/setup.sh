#!/bin/sh
# Installs what building and testing Sprig needs on Debian 12 (the Swift toolchain is assumed):
# GSL (float64 reference and training's default BLAS), OpenBLAS (`--blas openblas`), the Arm cross compiler with newlib, QEMU for Cortex-M, clang for the
# compile-cleanliness tests (the Swift toolchain's clang), cppcheck for static analysis, valgrind for the
# host instruction counts of Scripts/bench_mcu.py. Safe to run again.
set -eu
PACKAGES="libgsl-dev libopenblas0 gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm cppcheck cmake valgrind"
missing=""
for package in $PACKAGES; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (6.0 or later) must be on PATH" >&2
    exit 1
fi
echo "setup: ready ($(swift --version 2>&1 | head -n 1))"
