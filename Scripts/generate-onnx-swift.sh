#!/bin/sh
# Regenerates Sources/GenONNX/Generated/onnx.pb.swift from Schemas/onnx.proto (copied from the onnx
# Python package, version noted in the file's header). Run once after changing the proto; commit the result.
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift built from swift-protobuf 1.39.0:
#   git clone <mirror of apple/swift-protobuf> && swift build -c release --product protoc-gen-swift
# Usage: Scripts/generate-onnx-swift.sh /path/to/protoc-gen-swift
set -eu
cd "$(dirname "$0")/.."
PLUGIN=${1:?usage: Scripts/generate-onnx-swift.sh /path/to/protoc-gen-swift}
protoc --plugin=protoc-gen-swift="$PLUGIN" --proto_path=Schemas --swift_out=Sources/GenONNX/Generated \
    --swift_opt=Visibility=Public Schemas/onnx.proto
