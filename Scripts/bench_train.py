#!/usr/bin/env python3
"""Training throughput: Sprig's engine vs a plain numpy loop, LeNet-300-100 (784-300-100-10), in one run.

Run: python3 Scripts/bench_train.py [SAMPLES] [EPOCHS]   (defaults 2048 and 2)

Both train the same architecture with the same loop: mini-batches of 64, forward, softmax
cross-entropy, backward, Adam with L2 weight decay 1e-4, float64, on random inputs. Sprig runs twice:
with GSL's CBLAS (gslcblas, gen's default) and with OpenBLAS (`--blas openblas`: the system's
libopenblas.so.0, one thread), when it is installed; numpy uses whatever BLAS it ships with (OpenBLAS,
possibly multi-threaded). The table gives samples per second and the ratios.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def numpy_train(samples, epochs, batch=64, lr=1e-3, decay=1e-4):
    rng = np.random.default_rng(5)
    sizes = [784, 300, 100, 10]
    weights = [rng.uniform(-1, 1, (o, i)) * np.sqrt(2.0 / i) for i, o in zip(sizes, sizes[1:])]
    biases = [np.zeros(o) for o in sizes[1:]]
    x = rng.random((samples, 784))
    y = np.argmax(x[:, [k * 78 for k in range(10)]], axis=1)
    m = [np.zeros_like(p) for p in weights + biases]
    v = [np.zeros_like(p) for p in weights + biases]
    step = 0
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(samples)
        for s in range(0, samples, batch):
            idx = order[s:s + batch]
            a = [x[idx]]
            for layer, (w, b) in enumerate(zip(weights, biases)):
                z = a[-1] @ w.T + b
                a.append(np.maximum(z, 0) if layer < 2 else z)
            logits = a[-1]
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), y[idx]] -= 1
            grad = p / len(idx)
            grads_w, grads_b = [None] * 3, [None] * 3
            for layer in (2, 1, 0):
                grads_w[layer] = grad.T @ a[layer] + decay * weights[layer]
                grads_b[layer] = grad.sum(axis=0)
                if layer > 0:
                    grad = (grad @ weights[layer]) * (a[layer] > 0)
            step += 1
            for i, (param, g) in enumerate(zip(weights + biases, grads_w + grads_b)):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                param -= lr * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
    seconds = time.perf_counter() - start
    return samples * epochs / seconds, seconds


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    subprocess.run(["swift", "build", "-c", "release", "--product", "sprig-train-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".build", "release", "sprig-train-bench")
    def sprig(blas):
        result = subprocess.run([binary, str(samples), str(epochs), blas], capture_output=True, text=True,
                                check=blas == "gsl")  # only OpenBLAS may be missing
        return json.loads(result.stdout) if result.returncode == 0 else None
    gsl, openblas = sprig("gsl"), sprig("openblas")
    numpy_rate, numpy_seconds = numpy_train(samples, epochs)
    print(f"LeNet-300-100, {samples} samples x {epochs} epochs, batch 64, float64, Adam")
    print("| trainer | samples/s | seconds | vs numpy |")
    print("|---|---|---|---|")
    for label, run in [("Sprig (GenLearn, gslcblas: --blas gsl, default)", gsl),
                       ("Sprig (GenLearn, OpenBLAS 1 thread: --blas openblas)", openblas)]:
        if run is None:
            print(f"| {label} | not available (libopenblas.so.0 missing) | | |")
            continue
        print(f"| {label} | {run['samples_per_second']:.0f} | {run['seconds']:.2f} "
              f"| {run['samples_per_second'] / numpy_rate:.2f} |")
    print(f"| numpy {np.__version__} | {numpy_rate:.0f} | {numpy_seconds:.2f} | 1.00 |")


if __name__ == "__main__":
    main()
