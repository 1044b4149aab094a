#!/usr/bin/env python3
"""Benchmark of `gen` itself: wall time and peak memory on a generated 1 M-parameter dense model.

Run: python3 Scripts/bench_gen.py   (builds gen in release mode first; standard library only)

The model is an MLP 1000-1000 relu, 1000-10 (1,010,010 weights + 1,010 biases) with seeded random
weights, written once to out/bench/dense_1m.json. Each target is generated RUNS times; the table
gives the median and best wall time and the largest peak resident memory (ru_maxrss of the child).
Goal (issue 2): < 2 s and < 500 MB.
"""
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

RUNS = 3
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_model(path):
    rng = random.Random(7)
    def tensor(shape, scale):
        count = 1
        for d in shape:
            count *= d
        return {"shape": shape, "data": [round(rng.uniform(-scale, scale), 6) for _ in range(count)]}
    model = {
        "version": 1, "name": "dense_1m", "input": {"shape": [1000], "range": [-1, 1]},
        "layers": [
            {"type": "dense", "name": "fc1", "activation": "relu",
             "weights": tensor([1000, 1000], 0.05), "bias": tensor([1000], 0.1)},
            {"type": "dense", "name": "fc2", "weights": tensor([10, 1000], 0.05), "bias": tensor([10], 0.1)},
        ],
    }
    with open(path, "w") as f:
        json.dump(model, f)


def run_once(gen, model, target, out):
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([gen, model, "--target", target, "-o", out], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"gen failed: {proc.stderr}")
    # ru_maxrss of children is the largest child so far (KiB on Linux); measure each target in its own process.
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main():
    subprocess.run(["swift", "build", "-c", "release", "--product", "gen"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    gen = os.path.join(ROOT, ".build", "release", "gen")
    bench = os.path.join(ROOT, "out", "bench")
    os.makedirs(bench, exist_ok=True)
    model = os.path.join(bench, "dense_1m.json")
    if not os.path.exists(model):
        write_model(model)
    size_mb = os.path.getsize(model) / 1e6
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        target = sys.argv[2]
        walls, peak = [], 0
        for _ in range(RUNS):
            wall, peak = run_once(gen, model, target, os.path.join(bench, target))
            walls.append(wall)
        print(json.dumps({"target": target, "median": statistics.median(walls), "best": min(walls), "peak_kib": peak}))
        return
    print(f"model: {model} ({size_mb:.1f} MB JSON, 1,011,020 parameters), {RUNS} runs per target, default flags")
    print("| target | median wall (s) | best wall (s) | peak RSS (MB) |")
    print("|---|---|---|---|")
    for target in ["host", "mcu", "hls"]:
        child = subprocess.run([sys.executable, __file__, "--child", target], capture_output=True, text=True, check=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"| {target} | {result['median']:.2f} | {result['best']:.2f} | {result['peak_kib'] / 1024:.0f} |")


if __name__ == "__main__":
    main()
