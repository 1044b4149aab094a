#!/bin/sh
# First command of the README: installs what is needed, builds gen, compiles the bundled digits MLP
# for Cortex-M, and checks that the result cross-compiles for a Cortex-M4.
set -eu
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product gen
.build/release/gen --target mcu Examples/digits_mlp.json --calib Tests/Fixtures/digits/digits_calib.npz -o out/digits_mlp
arm-none-eabi-gcc -std=c99 -mcpu=cortex-m4 -mthumb -Os -Wall -Wextra -Werror -c out/digits_mlp/digits_mlp.c -o out/digits_mlp/digits_mlp.o
echo "quickstart: out/digits_mlp holds the C; its Cortex-M4 object:"
arm-none-eabi-size out/digits_mlp/digits_mlp.o
