#!/usr/bin/env python3
"""How far can magnitude k-of-n go on the digits MLP? A numpy re-implementation of gen's fine-tuning loop.

Run: python3 Scripts/explore_kofn_ceiling.py   (about 10 minutes, numpy only; not part of the tests)

This is an exploration, not gen: the same model (Examples/digits_mlp.json), the same fixed split
(../shared/data/README.md: rows 0..1257 train, the rest test, pixels / 16), the same loop as GenLearn
(Adam, batch 32, weight decay 1e-4, cosine learning rate, k-of-n magnitude masks along each row in
groups of 16, ties to the lower index), float accuracy on the test split. Its one-shot rows agree with
gen's `--schedule oneshot` to about 0.2 points. It varies what gen does not expose: epochs, learning
rate, the length of the gradual ramp and distillation from the dense model (soft targets, T = 4).
Its gradual rows follow gen's old schedule (masks recomputed at each epoch's start and held), not the
projection after every step that gen's `--schedule gradual` uses since then.
"""
import gzip
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rows = np.loadtxt(gzip.open(os.path.join(ROOT, "..", "shared", "data", "digits.csv.gz")), delimiter=",")
X, y = rows[:, :64] / 16.0, rows[:, 64].astype(int)
Xtr, ytr, Xte, yte = X[:1258], y[:1258], X[1258:], y[1258:]
model = json.load(open(os.path.join(ROOT, "Examples", "digits_mlp.json")))
W0, B0 = [], []
for layer in model["layers"]:
    if layer["type"] == "dense":
        W0.append(np.array(layer["weights"]["data"]).reshape(layer["weights"]["shape"]))
        B0.append(np.array(layer["bias"]["data"]) if "bias" in layer else np.zeros(W0[-1].shape[0]))


def forward(W, B, x):
    activations = [x]
    for i, (w, b) in enumerate(zip(W, B)):
        z = x @ w.T + b
        x = np.maximum(z, 0) if i < len(W) - 1 else z
        activations.append(x)
    return activations


def accuracy(W, B):
    return (forward(W, B, Xte)[-1].argmax(1) == yte).mean() * 100


def kofn_mask(w, k, n=16):
    mask = np.zeros_like(w, bool)
    for start in range(0, w.shape[1], n):
        block = np.abs(w[:, start:start + n])
        order = np.argsort(-block, axis=1, kind="stable")[:, :min(k, block.shape[1])]
        for r in range(w.shape[0]):
            mask[r, start + order[r]] = True
    return mask


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


TEACHER = forward(W0, B0, Xtr)[-1]


def run(k, epochs, ramp=0, distill=0.0, lr=1e-3, seed=1, temperature=4.0, decay=1e-4):
    rng = np.random.default_rng(seed)
    W, B = [w.copy() for w in W0], [b.copy() for b in B0]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in W + B]
    total, t = int(np.ceil(1258 / 32)) * epochs, 0
    for epoch in range(epochs):
        kept = k if ramp <= 0 or epoch >= ramp else int(round(k + (16 - k) * (1 - epoch / ramp) ** 3))
        masks = [kofn_mask(w, kept) for w in W]
        for w, m in zip(W, masks):
            w *= m
        order = rng.permutation(1258)
        for s in range(0, 1258, 32):
            idx = order[s:s + 32]
            acts = forward(W, B, Xtr[idx])
            g = softmax(acts[-1])
            g[np.arange(len(idx)), ytr[idx]] -= 1
            if distill > 0:
                g = (1 - distill) * g + distill * temperature * (
                    softmax(acts[-1] / temperature) - softmax(TEACHER[idx] / temperature))
            g /= len(idx)
            rate = lr * 0.5 * (1 + np.cos(np.pi * t / total))
            t += 1
            for i in reversed(range(len(W))):
                grads = (g.T @ acts[i] + decay * W[i], g.sum(0))
                if i > 0:
                    g = (g @ W[i]) * (acts[i] > 0)
                for param, grad, (m, v) in zip((W[i], B[i]), grads, (moments[i], moments[len(W) + i])):
                    m *= 0.9
                    m += 0.1 * grad
                    v *= 0.999
                    v += 0.001 * grad * grad
                    param -= rate * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
                W[i] *= masks[i]
    return accuracy(W, B)


def main():
    print(f"float dense: {accuracy(W0, B0):.2f} %")
    print("| k/16 | epochs | gradual ramp | lr | distillation | float test accuracy |")
    print("|---|---|---|---|---|---|")
    configs = [
        (30, 0, 1e-3, 0.0), (30, 15, 1e-3, 0.0), (30, 15, 1e-3, 0.7), (100, 50, 1e-3, 0.0), (100, 50, 1e-3, 0.7),
        (100, 50, 3e-3, 0.0), (100, 50, 1e-2, 0.0), (300, 150, 3e-3, 0.0),
    ]
    for k in [4, 2]:
        for epochs, ramp, lr, distill in configs:
            result = run(k, epochs, ramp=ramp, distill=distill, lr=lr)
            print(f"| {k} | {epochs} | {ramp or 'one-shot'} | {lr:g} | {distill or 'no'} | {result:.2f} % |", flush=True)


if __name__ == "__main__":
    main()
