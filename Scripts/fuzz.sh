#!/bin/sh
# Fuzzes the model reader and the .npz/.csv readers with libFuzzer (Swift's -sanitize=fuzzer,address).
# Usage: Scripts/fuzz.sh [SECONDS_PER_TARGET [RUNS]]  (default 120 s; with RUNS, stop after RUNS inputs
# or SECONDS_PER_TARGET, whichever comes first). Prints libFuzzer's "Done N runs" line
# per target; exits non-zero on a crash, leak, timeout (>10 s per input) or RSS above 2 GB.
# The committed seeds in Tests/Fuzz/<target>/ are copied to out/fuzz/<target>/, which grows.
set -eu
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-120}
RUNS=${2:--1}
BUILD=.build-fuzz
FLAGS="-c release --scratch-path $BUILD -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING"
TRIPLE=$(swift -print-target-info | sed -n 's/.*"unversionedTriple": "\(.*\)".*/\1/p' | head -n 1)
PRODUCTS=$BUILD/$TRIPLE/release
for target in FuzzModelReader FuzzDataReader; do
    # SwiftPM compiles the instrumented objects, but its link step aliases main to the target's
    # own entry (absent here: libFuzzer has main), so the binary is linked again, with lld.
    swift build $FLAGS --product "$target" >/dev/null 2>&1 || true
    swiftc -emit-executable -module-name "$target" -o "$PRODUCTS/$target-fuzz" -L "$PRODUCTS" -lz \
        "@$PRODUCTS/$target.product/Objects.LinkFileList" -sanitize=fuzzer,address -use-ld=lld 2>&1 \
        | grep -v "Cannot export local symbol" || true
    test -x "$PRODUCTS/$target-fuzz"
    corpus=out/fuzz/$target
    mkdir -p "$corpus"
    seeds=Tests/Fuzz/${target#Fuzz}
    cp "$seeds"/* "$corpus"/
    echo "fuzz: $target for $SECONDS_PER_TARGET s"
    LSAN_OPTIONS="suppressions=$PWD/Tests/Fuzz/lsan.supp" "$PRODUCTS/$target-fuzz" -max_total_time="$SECONDS_PER_TARGET" -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$corpus" > "out/fuzz/$target.log" 2>&1 || {
        tail -n 40 "out/fuzz/$target.log"
        echo "fuzz: $target FAILED (log: out/fuzz/$target.log)"
        exit 1
    }
    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" "out/fuzz/$target.log"
done
