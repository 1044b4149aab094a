#!/bin/sh
# Builds Tools/qemu-insn/sprig_insn.c, the QEMU plugin that counts Cortex-M instructions for
# Scripts/bench_mcu.py and the instruction-count tests, into .build/sprig-tools/libsprig_insn.so.
#
# Debian packages QEMU without its plugin header, so the header comes from Debian's own qemu
# source package (the version installed, via a private deb-src list; nothing in /etc/apt changes).
# Safe to run again: it does nothing when the plugin is already built.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$ROOT/.build/sprig-tools"
PLUGIN="$TOOLS/libsprig_insn.so"
SOURCE="$ROOT/Tools/qemu-insn/sprig_insn.c"
if [ -f "$PLUGIN" ] && [ "$PLUGIN" -nt "$SOURCE" ]; then
    exit 0
fi
mkdir -p "$TOOLS"
if [ ! -f "$TOOLS/qemu-plugin.h" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/lists/partial"
    printf 'deb-src http://deb.debian.org/debian bookworm main\ndeb-src http://deb.debian.org/debian-security bookworm-security main\n' \
        > "$work/sources.list"
    apt_options="-o APT::Sandbox::User=root -o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$work/lists"
    # shellcheck disable=SC2086
    apt-get $apt_options update -qq
    version=$(dpkg-query -W -f '${source:Version}' qemu-system-arm)
    # shellcheck disable=SC2086
    (cd "$work" && apt-get $apt_options source --download-only -qq "qemu=$version" 2>/dev/null \
        || apt-get $apt_options source --download-only -qq qemu)
    tar -xJf "$work"/qemu_*.orig.tar.xz -C "$work" --wildcards '*/include/qemu/qemu-plugin.h'
    cp "$work"/qemu-*/include/qemu/qemu-plugin.h "$TOOLS/qemu-plugin.h"
fi
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -I"$TOOLS" "$SOURCE" -o "$PLUGIN"
echo "build-qemu-plugin: built $PLUGIN"
