#!/usr/bin/env python3
"""Issue 3's accuracy benchmark: test accuracy of the fixed-point program at 4-of-16 and 2-of-16.

Run: python3 Scripts/bench_accuracy.py [EPOCHS]   (default 30; builds gen in release mode)

For the bundled digits MLP and CNN, `gen --target mcu --data digits_test.npz` prunes (magnitude
k-of-n, or DPP), fine-tunes on the train split and quantizes; the figure is the report's
`fixedPointTestAccuracy`: the fixed-point program (the Swift simulator, which the test suite shows
bit-exact with the generated C) on the 539-image test split. The float dense accuracy is the
example's own, from its metadata.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "Tests", "Fixtures", "digits", "digits_test.npz")


def main():
    epochs = sys.argv[1] if len(sys.argv) > 1 else "30"
    subprocess.run(["swift", "build", "-c", "release", "--product", "gen"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    gen = os.path.join(ROOT, ".build", "release", "gen")
    print(f"digits test split (539 images), fixed-point test accuracy, {epochs} epochs (DPP: {epochs} + {epochs})")
    print("| model | float dense | k/n | magnitude + fine-tune | DPP |")
    print("|---|---|---|---|---|")
    for model in ["digits_mlp", "digits_cnn"]:
        path = os.path.join(ROOT, "Examples", model + ".json")
        with open(path) as f:
            dense = json.load(f)["metadata"]["float_test_accuracy"] * 100
        for k in ["4", "2"]:
            row = []
            for method in ["kofn", "dpp"]:
                with tempfile.TemporaryDirectory() as out:
                    subprocess.run([gen, "--target", "mcu", path, "--prune", method, "--k", k, "--n", "16", "--data", DATA,
                                    "--epochs", epochs, "-o", out, "--quiet"], check=True)
                    with open(os.path.join(out, model + ".report.json")) as f:
                        row.append(json.load(f)["fineTuning"]["fixedPointTestAccuracy"])
            print(f"| {model} | {dense:.2f} % | {k}/16 | {row[0]:.2f} % | {row[1]:.2f} % |")


if __name__ == "__main__":
    main()
