#!/usr/bin/env python3
"""How much the seed alone moves issue 3's accuracy figures: one setting of bench_accuracy.py, seeds 1..S.

Run: python3 Scripts/bench_seeds.py [MODEL] [K] [SEEDS] [EPOCHS] [every] [rows=R] [dpp] [layer-scale]
     (default digits_mlp 2 7 1000, magnitude k-of-n of 16 with the model's recipe; about 2 minutes;
     `every` prunes every layer instead, as bench_accuracy.py's "every layer" rows; `rows=R` makes the
     masks vector-wise, `--kofn-rows R`: every R consecutive rows keep the same positions; `dpp` runs
     bench_accuracy.py's DPP column instead: EPOCHS/2 learning the masks + EPOCHS/2 fine-tuning; with
     rows=R, DPP learns one mask per set of R rows; `layer-scale` quantizes with --weight-scale layer,
     one weight scale and so one shift per layer, instead of one per output: the training is the same)

Same flags as bench_accuracy.py's "recipe" rows (the example's --augment, --learning-rate 0.01), only
--seed changes: it sets the shuffles, the augmentation draws and nothing else. Prints each seed's
fixed-point test accuracy on the 539 test images, then the range and mean.
"""
import os
import subprocess
import sys

from bench_accuracy import DATA, MODELS, ROOT, run  # noqa: F401  (DATA: the test split run() reads)


def main():
    args = sys.argv[1:]
    rows = [a for a in args if a.startswith("rows=")]
    learned = "dpp" in args
    layer_scale = "layer-scale" in args
    args = [a for a in args if not a.startswith("rows=") and a not in ("dpp", "layer-scale")]
    if len(rows) > 1 or (rows and not rows[0][5:].isdigit()):
        sys.exit(f"bench_seeds.py: expected at most one rows=R with R a whole number; found {' '.join(rows)}")
    model = args[0] if len(args) > 0 else "digits_mlp"
    k = args[1] if len(args) > 1 else "2"
    seeds = int(args[2]) if len(args) > 2 else 7
    epochs = args[3] if len(args) > 3 else "1000"
    if not epochs.isdigit() or int(epochs) < (2 if learned else 1):
        sys.exit(f"bench_seeds.py: EPOCHS must be a whole number of at least {2 if learned else 1}; found '{epochs}'")
    if len(args) > 5 or (len(args) == 5 and args[4] != "every") or (model not in MODELS):
        sys.exit(f"bench_seeds.py: expected [MODEL] [K] [SEEDS] [EPOCHS] [every] [rows=R] [dpp] [layer-scale] with MODEL one of "
                 f"{', '.join(MODELS)}; found {' '.join(args)}")
    every_layer = len(args) > 4
    subprocess.run(["swift", "build", "-c", "release", "--product", "gen"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    gen = os.path.join(ROOT, ".build", "release", "gen")
    augment, recipe = MODELS[model]
    path = os.path.join(ROOT, "Examples", model + ".json")
    method = ["--prune", "dpp", "--epochs", str(int(epochs) // 2)] if learned else ["--prune", "kofn", "--epochs", epochs]
    flags = method + ["--k", k, "--n", "16", "--augment", augment, "--learning-rate", "0.01"]
    if not every_layer:
        flags += ["--recipe", os.path.join(ROOT, "Examples", "recipes", recipe)]
    if rows:
        flags += ["--kofn-rows", rows[0][5:]]
    if layer_scale:
        flags += ["--weight-scale", "layer"]
    layers = ("every layer" if every_layer else f"with {recipe}") + (f", {rows[0][5:]} rows per index set" if rows else "")
    layers += ", one weight scale per layer" if layer_scale else ""
    print(f"{model}, {'DPP' if learned else 'magnitude'} k-of-n {k}/16 {layers}, {epochs} epochs"
          f"{f' ({int(epochs) // 2} + {int(epochs) // 2})' if learned else ''}: fixed-point test accuracy by seed")
    print("| seed | test accuracy |")
    print("|---|---|")
    figures = []
    for seed in range(1, seeds + 1):
        accuracy, _, _ = run(gen, path, model, flags + ["--seed", str(seed)])
        figures.append(accuracy)
        print(f"| {seed} | {accuracy:.2f} % |", flush=True)
    print(f"range {min(figures):.2f} .. {max(figures):.2f} % ({max(figures) - min(figures):.2f} points), "
          f"mean {sum(figures) / len(figures):.2f} %")


if __name__ == "__main__":
    main()
