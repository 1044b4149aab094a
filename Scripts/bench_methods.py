#!/usr/bin/env python3
"""Issue 4's table: every pruning method at >= 8x weight compression on the digits MLP and CNN, with --data.

Run: python3 Scripts/bench_methods.py [EPOCHS] [--augment]   (default 30; builds gen in release mode)
     --augment: train with each example's own augmentation (as Scripts/bench_accuracy.py does)

For each method, `gen --target mcu --data digits_test.npz` prunes, fine-tunes on the train split
(DPP: learns the masks first; SAP: rewinds, retrains and prunes each iteration) and quantizes. The
table gives the report's fixed-point test accuracy (the simulator, bit-exact with the generated C by
the test suite) on the 539 test images, the weight compression (all weights / kept weights), flash of
weight and index tables as lowered for Cortex-M (gen's cost model may lower a layer dense), and MACs.
"""
import json
import os
import subprocess
import sys
import tempfile

from bench_accuracy import MODELS  # each example's --augment setting

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "Tests", "Fixtures", "digits", "digits_test.npz")

METHODS = [
    ("magnitude k-of-n 2/16", ["--prune", "kofn", "--k", "2", "--n", "16"]),
    ("DPP 2/16", ["--prune", "dpp", "--k", "2", "--n", "16"]),
    ("DARB, sparsity 0.875", ["--prune", "darb", "--sparsity", "0.875"]),
    ("EDP, weight budget 0.875", ["--prune", "edp", "--sparsity", "0.875"]),
    ("EDP, energy 0.9 (default)", ["--prune", "edp"]),
    # The group lasso alone deciding the ranks: every layer factored at full rank, lambda swept.
    ("EDP, full rank, lambda 0.5", ["--prune", "edp", "--edp-energy", "1", "--edp-lambda", "0.5"]),
    ("EDP, full rank, lambda 1.0", ["--prune", "edp", "--edp-energy", "1", "--edp-lambda", "1.0"]),
    ("EDP, full rank, lambda 1.5", ["--prune", "edp", "--edp-energy", "1", "--edp-lambda", "1.5"]),
    ("SAP, gamma 2, 10 iterations", ["--prune", "sap", "--sap-gamma", "2", "--sap-iterations", "10"]),
    ("SAP, gamma 3, 10 iterations", ["--prune", "sap", "--sap-gamma", "3", "--sap-iterations", "10"]),
]


def main():
    augment = "--augment" in sys.argv
    numbers = [a for a in sys.argv[1:] if a != "--augment"]
    epochs = numbers[0] if numbers else "30"
    subprocess.run(["swift", "build", "-c", "release", "--product", "gen"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    gen = os.path.join(ROOT, ".build", "release", "gen")
    setting = ", --augment as each example was trained" if augment else ""
    print(f"digits test split (539 images), fixed-point test accuracy, --epochs {epochs}{setting}, target mcu")
    print("| model | method | test accuracy | compression | weight + index bytes | MACs |")
    print("|---|---|---|---|---|---|")
    for model in ["digits_mlp", "digits_cnn"]:
        path = os.path.join(ROOT, "Examples", model + ".json")
        with open(path) as f:
            dense = json.load(f)["metadata"]["float_test_accuracy"] * 100
        print(f"| {model} | float dense | {dense:.2f} % | 1x | | |")
        for label, flags in METHODS:
            with tempfile.TemporaryDirectory() as out:
                subprocess.run([gen, "--target", "mcu", path, "--data", DATA, "--epochs", epochs, "-o", out, "--quiet"]
                               + flags + (["--augment", MODELS[model][0]] if augment else []), check=True)
                with open(os.path.join(out, model + ".report.json")) as f:
                    report = json.load(f)
            totals = report["totals"]
            accuracy = report["fineTuning"]["fixedPointTestAccuracy"]
            compression = totals["weights"] / max(totals["keptWeights"], 1)
            tables = totals["weightBytes"] + totals["indexBytes"]
            print(f"| {model} | {label} | {accuracy:.2f} % | {compression:.1f}x | {tables} | {totals['macs']} |",
                  flush=True)


if __name__ == "__main__":
    main()
