#!/usr/bin/env python3
"""Issue 5's benchmark: instructions, flash and RAM of the generated C on Cortex-M, measured.

Run: python3 Scripts/bench_mcu.py [--quick] [--models lenet,digits_mlp,digits_cnn] [--out Benchmarks]
     (needs Scripts/setup.sh; builds gen in release mode and the QEMU plugin; the wide examples:
     --models digits_mlp_wide,digits_cnn_wide --out Benchmarks/wide)

For each model (a LeNet-300-100-shaped MLP with seeded random weights, and the bundled digits
MLP and CNN) and each pruning setting (dense, k-of-n 8/16, 4/16, 2/16; the sparse settings both as
gen chooses and with `--sparse-lowering always`), it runs `gen --target mcu`, then for each core
(Cortex-M4, M7, M33) and each of -O2 and -Os:
  - cross-compiles the model with a small harness (Tools/mcu-bench/bench_main.c),
  - runs it under qemu-system-arm with `-icount shift=0` and Tools/qemu-insn (a TCG plugin) counting
    the instructions between two marker calls around `<name>_infer`, exactly, per input vector,
  - checks that the outputs equal the host build's, value for value,
  - reads flash and RAM from `arm-none-eabi-size -A` of the model's object file (weights, indices,
    bias+shifts, code per section; RAM = .data + .bss) and checks that RAM equals the arena gen
    planned, which must equal the largest pair of neighbouring tensors (plus a conv2d's im2col column
    where that is more), and that a conv2d's padded rows fit in it.
The host build's instructions come from callgrind. Writes Benchmarks/mcu.md, Benchmarks/mcu.json
and Benchmarks/mcu.svg (instructions and flash against density). Instruction counts do not depend
on machine load, so every ratio here is repeatable.

`--layers` prints each layer's instructions of the --models, unpruned, each layer function kept out of line
(as `--calibrate` counts them); `--calibrate` fits Toolchains/mcu.json's cost model.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, ".build", "release", "gen")
PLUGIN = os.path.join(ROOT, ".build", "sprig-tools", "libsprig_insn.so")
FIRMWARE = os.path.join(ROOT, "Examples", "firmware", "cortex-m")
BENCH_MAIN = os.path.join(ROOT, "Tools", "mcu-bench", "bench_main.c")
DIGITS = os.path.join(ROOT, "Tests", "Fixtures", "digits", "digits.csv.gz")
VECTORS = 4

CORES = {
    "m4": {"board": "mps2-an386", "ld": "mps2_an386.ld",
           "flags": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]},
    "m7": {"board": "mps2-an500", "ld": "mps2_an386.ld",
           "flags": ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]},
    "m33": {"board": "mps2-an505", "ld": "mps2_an505.ld",
            "flags": ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]},
}
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-ffunction-sections", "-fdata-sections"]


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"bench_mcu: {' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def lenet_model(path):
    """784-300-100-10 with seeded random weights (He-scaled), input range [0, 1]."""
    import numpy as np
    rng = np.random.default_rng(300100)
    sizes = [784, 300, 100, 10]
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        weights = rng.normal(0.0, (2.0 / fan_in) ** 0.5, size=(fan_out, fan_in)).astype(np.float32)
        bias = rng.normal(0.0, 0.05, size=fan_out).astype(np.float32)
        layer = {"type": "dense", "name": f"fc{index + 1}",
                 "weights": {"shape": [fan_out, fan_in], "data": [float(v) for v in weights.ravel()]},
                 "bias": {"shape": [fan_out], "data": [float(v) for v in bias]}}
        if index < 2:
            layer["activation"] = "relu"
        layers.append(layer)
    model = {"version": 1, "name": "lenet", "input": {"shape": [784], "range": [0.0, 1.0]}, "layers": layers}
    with open(path, "w") as f:
        json.dump(model, f)


# One conv2d of every fan-in the lane-pair kernel takes, for --calibrate's convLane fit (the digits CNNs'
# conv1 alone are two layers of 9), and those 3 wide with 2 or 3 kernel rows for the convPixel fit (they run the
# pixel-pair kernel, over 8 x 8: an even output width): (input channels, kernel height, kernel width, output channels).
LANE_SHAPES = [(1, 2, 2, 8), (1, 1, 5, 4), (2, 1, 3, 16), (1, 7, 1, 8), (2, 2, 2, 12), (1, 3, 3, 4), (2, 5, 1, 8),
               (1, 1, 11, 16), (1, 9, 1, 12), (1, 2, 3, 8), (3, 1, 3, 12), (1, 3, 3, 24)]


def lane_model(path, name, shape, pool=False):
    """A conv2d of `shape` (LANE_SHAPES; 'same', relu) over an 8 x 8 input, then a 1x1 conv2d to twice its channels
    (a larger pair of tensors, which leaves conv1 room in the arena for its padded rows, as in the digits CNNs),
    then a dense layer of 4 outputs; seeded random weights (He-scaled), input range [0, 1]. With `pool`, a 2x2 max
    pool after conv1 (done inside it where the pixel-pair kernel runs it with one input channel, `fusesMaxPool`;
    else a step of its own). Only conv1 and the pool are sampled."""
    import numpy as np
    channels, kh, kw, out_channels = shape
    rng = np.random.default_rng(channels * 100 + kh * 10 + kw)
    fan_in = channels * kh * kw
    conv = rng.normal(0.0, (2.0 / fan_in) ** 0.5, size=(out_channels, channels, kh, kw)).astype(np.float32)
    wide = rng.normal(0.0, (2.0 / out_channels) ** 0.5, size=(2 * out_channels, out_channels, 1, 1)).astype(np.float32)
    pixels = 16 if pool else 64
    dense = rng.normal(0.0, (1.0 / (out_channels * pixels)) ** 0.5, size=(4, 2 * out_channels * pixels)).astype(np.float32)
    layers = [
        {"type": "conv2d", "name": "conv1", "padding": "same", "activation": "relu",
         "weights": {"shape": list(conv.shape), "data": [float(v) for v in conv.ravel()]},
         "bias": {"shape": [out_channels], "data": [float(v) for v in rng.normal(0.0, 0.05, size=out_channels)]}},
    ] + ([{"type": "maxpool2d", "name": "pool1", "size": [2, 2]}] if pool else []) + [
        {"type": "conv2d", "name": "conv2", "padding": "valid", "activation": "relu",
         "weights": {"shape": list(wide.shape), "data": [float(v) for v in wide.ravel()]},
         "bias": {"shape": [2 * out_channels], "data": [0.0] * (2 * out_channels)}},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "fc", "weights": {"shape": list(dense.shape), "data": [float(v) for v in dense.ravel()]},
         "bias": {"shape": [4], "data": [0.0] * 4}},
    ]
    model = {"version": 1, "name": name, "input": {"shape": [channels, 8, 8], "range": [0.0, 1.0]}, "layers": layers}
    with open(path, "w") as f:
        json.dump(model, f)


def input_vectors(model, size, frac):
    """Int8 inputs: digits test images for the digits models, seeded uniform [0, 1) for LeNet."""
    import gzip
    import numpy as np
    if model.startswith("digits"):
        with gzip.open(DIGITS, "rt") as f:
            rows = [line.split(",") for line in f.read().split("\n") if line.strip()][1258:1258 + VECTORS]
        floats = np.array([[float(v) / 16.0 for v in row[:size]] for row in rows])
    else:
        floats = np.random.default_rng(7).random((VECTORS, size))
    return np.clip(np.round(floats * (1 << frac)), -128, 127).astype(int).tolist()


def write_harness(folder, name, frac, size, vectors):
    with open(os.path.join(folder, "bench_inputs.h"), "w") as f:
        f.write(f'#include "{name}.h"\n#define BENCH_VECTORS {len(vectors)}\n')
        f.write(f"#define BENCH_INFER {name}_infer\n#define BENCH_INPUT_SIZE {name.upper()}_INPUT_SIZE\n")
        f.write(f"#define BENCH_OUTPUT_SIZE {name.upper()}_OUTPUT_SIZE\ntypedef {name}_input_t bench_input_t;\n")
        f.write(f"typedef {name}_output_t bench_output_t;\n")
        f.write("static const bench_input_t bench_inputs[BENCH_VECTORS][BENCH_INPUT_SIZE] = {\n")
        for vector in vectors:
            f.write("    {" + ", ".join(map(str, vector)) + "},\n")
        f.write("};\n")


def sections(object_file):
    """Flash and RAM of the model's object file by kind, from `arm-none-eabi-size -A`."""
    out = run(["arm-none-eabi-size", "-A", object_file]).stdout
    totals = {"weights": 0, "indices": 0, "biasShift": 0, "code": 0, "otherConst": 0, "ram": 0, "wrapperRam": 0}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        section, size = parts[0], int(parts[1])
        if section.startswith(".text"):
            totals["code"] += size
        elif section.startswith(".rodata"):
            # DARB writes a table of each kind per block size s: <layer>_w_s8, _idx_s8 and _rows_s8 (its row
            # table, counted with the indices as gen's report does).
            table = re.sub(r"_s\d+$", "", section) if re.search(r"_(w|idx|rows)_s\d+$", section) else section
            if table.endswith("_w"):
                totals["weights"] += size
            elif table.endswith("_idx") or table.endswith("_rows"):
                totals["indices"] += size
            elif section.endswith("_b") or section.endswith("_shift"):
                totals["biasShift"] += size
            else:
                totals["otherConst"] += size
        elif section.endswith("_arena") or "_buffer" in section:
            totals["ram"] += size
        elif section.startswith(".data") or section.startswith(".bss"):
            totals["wrapperRam"] += size
    totals["flash"] = totals["weights"] + totals["indices"] + totals["biasShift"] + totals["code"] + totals["otherConst"]
    return totals


def outputs_of(text):
    return [line for line in text.splitlines() if line.startswith("out ")]


def generate(path, model, folder, flags):
    """`gen --target mcu` of the model at `path` into `folder` with `flags`, and the bench harness beside it
    (input vectors in the model's input format); returns gen's report."""
    report_path = os.path.join(folder, "report.json")
    run([GEN, "--target", "mcu", path, "-o", folder, "--report", report_path, "--quiet"] + flags)
    with open(report_path) as f:
        report = json.load(f)
    header = open(os.path.join(folder, model + ".h")).read()
    frac = int(re.search(r"_INPUT_FRAC_BITS (-?\d+)", header).group(1))
    size = int(re.search(r"_INPUT_SIZE (\d+)", header).group(1))
    write_harness(folder, model, frac, size, input_vectors(model, size, frac))
    return report


def measure_core(folder, name, core, opt):
    spec = CORES[core]
    flags = spec["flags"] + [opt] + CFLAGS
    model_object = os.path.join(folder, f"model_{core}{opt}.o")
    run(["arm-none-eabi-gcc"] + flags + ["-c", os.path.join(folder, name + ".c"), "-o", model_object])
    startup_object = os.path.join(folder, f"startup_{core}{opt}.o")
    run(["arm-none-eabi-gcc"] + spec["flags"] + [opt, "-c", os.path.join(FIRMWARE, "startup_nocrt.c"), "-o", startup_object])
    elf = os.path.join(folder, f"bench_{core}{opt}.elf")
    run(["arm-none-eabi-gcc"] + flags + ["-I", folder, "--specs=rdimon.specs", "-nostartfiles",
         "-T", os.path.join(FIRMWARE, spec["ld"]), "-Wl,--gc-sections", BENCH_MAIN,
         startup_object, model_object, "-o", elf, "-lm"])
    log = os.path.join(folder, f"count_{core}{opt}.log")
    result = run(["qemu-system-arm", "-M", spec["board"], "-nographic", "-semihosting-config", "enable=on,target=native",
                  "-icount", "shift=0", "-plugin", PLUGIN, "-d", "plugin", "-D", log, "-kernel", elf], timeout=600)
    with open(log) as f:
        regions = [int(m.group(1)) for m in re.finditer(r"region \d+: (\d+)", f.read())]
    if len(regions) != VECTORS + 1:
        sys.exit(f"bench_mcu: expected {VECTORS + 1} regions in {log}, found {len(regions)}")
    empty = regions[-1]
    per_vector = [count - empty for count in regions[:-1]]
    return {"instructions": sum(per_vector) / len(per_vector), "perVector": per_vector,
            "outputs": outputs_of(result.stdout), **sections(model_object)}


def measure_host(folder, name):
    exe = os.path.join(folder, "bench_host")
    run(["gcc", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", folder, BENCH_MAIN,
         os.path.join(folder, name + ".c"), "-o", exe, "-lm"])
    outputs = outputs_of(run([exe]).stdout)
    callgrind_out = os.path.join(folder, "callgrind.out")
    run(["valgrind", "--tool=callgrind", f"--toggle-collect={name}_infer", f"--callgrind-out-file={callgrind_out}", exe])
    with open(callgrind_out) as f:
        total = int(re.search(r"^totals: (\d+)", f.read(), re.M).group(1))
    return outputs, total / VECTORS


def arena_needed(report, padded_rows=False):
    """Bytes of the most any layer needs at once: its input and output when they are intermediate
    tensors (the caller owns the model's input and output; flatten aliases its input and softmax runs
    only in the float wrapper), plus the im2col column a conv2d gathers into the arena (and with
    `padded_rows`, the padded kernel rows after it, which gen places only where the arena has room; the
    pixel-pair kernel's always count, as they replace its column). A conv2d
    that does the max pool after it (`fusedMaxPool`) writes the pool's output: its own is no tensor."""
    sizes = []
    columns = []
    for layer in report["layers"]:
        if layer["type"] in ("flatten", "softmax"):
            continue
        if not sizes:
            sizes.append(product(layer["inputShape"]))
        if "fusedInto" in layer:
            sizes[-1] = product(layer["outputShape"])
            continue
        sizes.append(product(layer["outputShape"]))
        # The pixel-pair kernel's padded rows are its only scratch (no column), placed as a column is.
        own_rows = padded_rows or "pixelPairKernelRows" in layer
        columns.append(layer.get("columnBytes", 0) + (layer.get("paddedRowsBytes", 0) if own_rows else 0))
    width = report["quantization"]["activationBits"] // 8
    intermediate = [0] + sizes[1:-1] + [0]
    return max((a + b) * width + column for a, b, column in zip(intermediate, intermediate[1:], columns))


def product(shape):
    out = 1
    for d in shape:
        out *= d
    return out


def settings(quick):
    dense = [("dense", ["--prune", "none"], 1.0)]
    sparse = []
    for k in ([4, 2] if quick else [8, 4, 2]):
        sparse.append((f"kofn {k}/16", ["--prune", "kofn", "--k", str(k), "--n", "16"], k / 16))
        sparse.append((f"kofn {k}/16 sparse", ["--prune", "kofn", "--k", str(k), "--n", "16",
                                               "--sparse-lowering", "always"], k / 16))
    # Vector-wise k-of-n: every R rows share one index set (gen decides dense or sparse per layer).
    for k in [4, 2]:
        for rows in VECTOR_ROWS:
            sparse.append((f"kofn {k}/16 rows {rows}", ["--prune", "kofn", "--k", str(k), "--n", "16",
                                                        "--kofn-rows", str(rows)], k / 16))
    if quick:
        return dense + sparse
    # One weight scale per layer (--weight-scale layer): one shift per layer, which the Cortex-M kernels
    # fold into USAT/SSAT; these rows' ratios are against the dense row with the same flag.
    scaled = [(f"{label}{LAYER_SCALE}", flags + ["--weight-scale", "layer"], density)
              for label, flags, density in dense + sparse if label in ("dense", "kofn 4/16 rows 24", "kofn 2/16 rows 24")]
    return dense + sparse + scaled


LAYER_SCALE = ", layer scale"


def dense_setting(setting):
    """The dense row a setting's ratios are against: the one with the same weight scaling."""
    return "dense" + LAYER_SCALE if setting.endswith(LAYER_SCALE) else "dense"


VECTOR_ROWS = [12, 24]


def family(setting):
    """The series a setting belongs to in the picture: as gen chooses, forced sparse, or vector-wise."""
    if " rows " in setting:
        return "rows " + setting.split(" rows ")[1]
    return "forced" if setting.endswith("sparse") else "auto"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="LeNet only, M4 only, -O2 only, 4/16 and 2/16")
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks"), help="folder for mcu.md/json/svg")
    parser.add_argument("--models", default="lenet,digits_mlp,digits_cnn",
                        help="comma-separated: lenet and/or Examples/ names (the wide pair: digits_mlp_wide,digits_cnn_wide)")
    parser.add_argument("--calibrate", action="store_true",
                        help="measure each layer on its own and print the cost model for Toolchains/mcu.json")
    parser.add_argument("--layers", action="store_true",
                        help="print each layer's instructions (Cortex-M4 -O2, layers kept out of line) of the --models, "
                             "unpruned (or as --gen-flags prunes them); writes nothing")
    parser.add_argument("--gen-flags", default="--prune none",
                        help="with --layers: gen's flags, one string (default: '--prune none')")
    args = parser.parse_args()
    default_models = parser.get_default("models")
    if args.gen_flags != parser.get_default("gen_flags") and not args.layers:
        sys.exit("bench_mcu: --gen-flags goes with --layers only")
    if args.models != default_models and (args.quick or args.calibrate):
        sys.exit("bench_mcu: --models does not go with --quick (LeNet only) or --calibrate (the cost model is "
                 "fitted on lenet,digits_mlp,digits_cnn)")
    if args.models != default_models and args.out == parser.get_default("out") and not args.layers:
        sys.exit("bench_mcu: with --models, name an --out folder (Benchmarks/ holds the default models' tables)")
    models = ["lenet"] if args.quick else args.models.split(",")
    for model in models:
        if model != "lenet" and not os.path.isfile(os.path.join(ROOT, "Examples", model + ".json")):
            sys.exit(f"bench_mcu: --models: {model} is neither lenet nor a model in Examples/")
    for tool in ["arm-none-eabi-gcc", "qemu-system-arm", "valgrind"]:
        if shutil.which(tool) is None:
            sys.exit(f"bench_mcu: {tool} is missing: run Scripts/setup.sh")
    try:
        import numpy  # noqa: F401  (seeded LeNet weights, and the least-squares fit of --calibrate)
    except ImportError:
        sys.exit("bench_mcu: numpy is missing: pip install numpy")
    run(["swift", "build", "-c", "release", "--product", "gen"], cwd=ROOT)
    run(["sh", os.path.join(ROOT, "Scripts", "build-qemu-plugin.sh")])
    if args.calibrate:
        os.makedirs(args.out, exist_ok=True)
        calibrate(args.out)
        return
    if args.layers:
        layer_table(models, args.gen_flags.split())
        return
    cores = ["m4"] if args.quick else ["m4", "m7", "m33"]
    opts = ["-O2"] if args.quick else ["-O2", "-Os"]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        lenet_path = os.path.join(scratch, "lenet.json")
        lenet_model(lenet_path)
        for model in models:
            path = lenet_path if model == "lenet" else os.path.join(ROOT, "Examples", model + ".json")
            for label, flags, density in settings(args.quick):
                folder = os.path.join(scratch, model + "_" + re.sub(r"\W", "_", label))
                os.makedirs(folder)
                report = generate(path, model, folder, flags)
                host_outputs, host_instructions = measure_host(folder, model)
                for core in cores:
                    for opt in opts:
                        m = measure_core(folder, model, core, opt)
                        if m["outputs"] != host_outputs or len(host_outputs) != VECTORS:
                            sys.exit(f"bench_mcu: {model} {label} {core} {opt}: outputs differ from the host build")
                        arena = report["totals"]["arenaBytes"]
                        if not (m["ram"] == arena == arena_needed(report)):
                            sys.exit(f"bench_mcu: {model} {label} {core} {opt}: RAM {m['ram']} B, arena {arena} B, "
                                     f"largest pair (with columns) {arena_needed(report)} B differ")
                        if arena_needed(report, padded_rows=True) > arena:
                            sys.exit(f"bench_mcu: {model} {label} {core} {opt}: padded rows grow the arena "
                                     f"({arena_needed(report, padded_rows=True)} B against {arena} B)")
                        del m["outputs"]
                        rows.append({"model": model, "setting": label, "density": density, "core": core, "opt": opt,
                                     "macs": report["totals"]["macs"], "denseMacs": report["totals"]["denseMacs"],
                                     "hostInstructions": host_instructions, "arenaBytes": arena,
                                     "lowering": [layer.get("lowering", "") for layer in report["layers"]], **m})
                        print(f"{model:10} {label:18} {core:3} {opt}: {m['instructions']:>10.0f} instructions, "
                              f"flash w+idx {m['weights'] + m['indices']:>7} B, code {m['code']:>5} B", flush=True)
    os.makedirs(args.out, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    with open(os.path.join(args.out, f"mcu{suffix}.json"), "w") as f:
        json.dump(rows, f, indent=1, sort_keys=True)
        f.write("\n")
    table = markdown(rows)
    with open(os.path.join(args.out, f"mcu{suffix}.md"), "w") as f:
        f.write(table)
    with open(os.path.join(args.out, f"mcu{suffix}.svg"), "w") as f:
        f.write(svg(rows))
    print(table)


NO_INLINE = ["-fno-inline-functions-called-once", "-fno-inline-small-functions", "-fno-inline-functions"]


def function_counts(folder, name):
    """Instructions per inference of each function of the model (M4, -O2, layers kept out of line), by name."""
    spec = CORES["m4"]
    flags = spec["flags"] + ["-O2"] + CFLAGS + NO_INLINE
    startup = os.path.join(folder, "startup.o")
    run(["arm-none-eabi-gcc"] + spec["flags"] + ["-O2", "-c", os.path.join(FIRMWARE, "startup_nocrt.c"), "-o", startup])
    elf = os.path.join(folder, "calibrate.elf")
    run(["arm-none-eabi-gcc"] + flags + ["-I", folder, "--specs=rdimon.specs", "-nostartfiles", "-T",
         os.path.join(FIRMWARE, spec["ld"]), "-Wl,--gc-sections", BENCH_MAIN, startup,
         os.path.join(folder, name + ".c"), "-o", elf, "-lm"])
    log = os.path.join(folder, "symbols.log")
    run(["qemu-system-arm", "-M", spec["board"], "-nographic", "-semihosting-config", "enable=on,target=native",
         "-icount", "shift=0", "-plugin", PLUGIN + ",symbols=on", "-d", "plugin", "-D", log, "-kernel", elf])
    counts = {}
    for match in re.finditer(r"symbol ([^:]+): (\d+)", open(log).read()):
        counts[match.group(1).split(".")[0]] = int(match.group(2)) / VECTORS
    return counts


def layer_functions(folder, name, report):
    """(layer, instructions per inference) of every layer with a function of its own (M4, -O2, out of line)."""
    counts = function_counts(folder, name)
    out = []
    for index, layer in enumerate(report["layers"]):
        symbol = f"{name}_l{index}_{re.sub(r'[^a-z0-9_]', '_', layer['name'].lower())}"
        if symbol in counts:
            out.append((layer, counts[symbol]))
    return out


def layer_counts(folder, name, report):
    """(layer, instructions) of each dense and conv2d layer, as the cost model is fitted to them, and of each max
    pool (what a conv2d that does not do the pool after it leaves to a step of its own)."""
    return [(layer, count) for layer, count in layer_functions(folder, name, report)
            if layer["type"] in ("dense", "conv2d", "maxpool2d")]


def layer_table(models, flags):
    """Prints each layer's instructions per inference of the models, generated with gen's `flags`, and the
    whole inference's with its code and table bytes (`--layers`)."""
    with tempfile.TemporaryDirectory() as scratch:
        lenet_path = os.path.join(scratch, "lenet.json")
        lenet_model(lenet_path)
        print(f"gen --target mcu MODEL {' '.join(flags)}\n")
        print("| model | layer | type | instructions (Cortex-M4 -O2, layers out of line) |\n|---|---|---|---|")
        for model in models:
            path = lenet_path if model == "lenet" else os.path.join(ROOT, "Examples", model + ".json")
            folder = os.path.join(scratch, model)
            os.makedirs(folder)
            report = generate(path, model, folder, flags)
            for layer, count in layer_functions(folder, model, report):
                print(f"| {model} | {layer['name']} | {layer['type']} | {count:,.0f} |")
            # The whole inference as the benchmark measures it (layers inlined), and its flash.
            whole = measure_core(folder, model, "m4", "-O2")
            print(f"| {model} | all, `{model}_infer` (layers inlined; code {whole['code']:,} B, weights and indices "
                  f"{whole['weights'] + whole['indices']:,} B) | | {whole['instructions']:,.0f} |")


def set_columns(kept):
    """The columns the row-pair kernel runs a vector-wise set over (rowPairSetColumns in lowerProgram.swift)."""
    return 2 if kept == 2 else max(kept, 4)


def features(layer):
    """(kind, feature vector) of one weighted layer for the least-squares fit of the cost model; (None, None)
    for a form gen does not choose by itself."""
    if layer["type"] == "maxpool2d":
        # A 2x2 max pool of stride 2 (each side halved) as a step of its own, per value it reads.
        (_, height, width), (_, pooled_height, pooled_width) = layer["inputShape"], layer["outputShape"]
        halved = height == 2 * pooled_height and width == 2 * pooled_width
        return ("maxPool", [product(layer["inputShape"])]) if halved else (None, None)
    rows = layer["outputShape"][0]
    pixels = product(layer["outputShape"][1:])
    outputs = rows * pixels
    if rows < 4 or layer["denseMacs"] // outputs < 4:
        return None, None  # plain loops, which gen prices with no model (costModel(for:) in lowerProgram.swift)
    lowering = layer.get("lowering", {}).get("form", "dense")
    sparse = lowering == "sparse" and layer.get("method") != "none"
    if sparse and "rowsPerBlockSize" in layer:
        # DARB's rows grouped by block size (darb_row): every kept weight once per output pixel, plus conv2d's
        # column. (A DARB layer whose rows all got one block size is plain k-of-n, priced as such.)
        pixels_column = pixels * (layer["denseMacs"] // outputs) if layer["type"] == "conv2d" else 0
        return "darb", [layer["keptWeights"] * pixels, outputs, pixels_column]
    # A dense form computes only its rows that are not constant, over the columns it reads (the report's macs).
    computed = outputs - len(layer.get("constantOutputs") or []) * pixels
    if layer["type"] == "dense":
        if not sparse:
            return "dense", [layer["macs"], computed]
        if layer.get("rowsPerIndexSet", 1) > 1:
            # A dense layer over the kept weights (the row-pair kernel's 4 columns where a set keeps 1 or 3,
            # 2 where it keeps 2: set_columns), plus one gather per set of rows.
            sets = -(-rows // layer["rowsPerIndexSet"])
            kept = layer["keptWeights"] // rows
            return "shared", [rows * set_columns(kept), outputs, sets * kept]
        groups = rows * -(-(layer["weights"] // rows) // layer["n"])
        nibble = layer["indexBitsPerKeptWeight"] == 4
        kind = "sparse" if layer["k"] % 4 == 0 else "sparseScalar"
        return kind, [layer["keptWeights"], groups, outputs, layer["keptWeights"] if nibble else 0]
    # The im2col column: each pixel's fan-in gathered once (dense and weight-granularity k-of-n).
    column = pixels * (layer["denseMacs"] // outputs)
    if not sparse:
        if "lanePairs" in layer:  # gen names the lane-pair kernel and its pairs per output
            return "convLane", [outputs * layer["lanePairs"], pixels]
        if "pixelPairKernelRows" in layer:  # and the pixel-pair kernel and its kernel rows, and the pool it does
            # Its row work: per pixel, half the multiply terms it writes (2 per kernel row and channel, none for
            # a zero weight: pixelPairTerms in pairPixelsForDSP.swift).
            kind = "convPool" if "fusedMaxPool" in layer else "convPixel"
            return kind, [pixels * layer["pixelPairTerms"] / 2, outputs, pixels]
        return "conv", [layer["macs"], computed, column]
    if layer.get("rowsPerIndexSet", 1) > 1:
        kept = layer["keptWeights"] // rows
        sets = -(-rows // layer["rowsPerIndexSet"])
        # The row-pair kernel's columns (set_columns); an unpadded conv2d's sets gather straight from the
        # input, with no im2col column.
        return "convShared", [outputs * set_columns(kept), outputs, 0 if layer.get("setsGatherFromInput") else column,
                              pixels * sets * kept]
    if layer.get("granularity") == "kernel":
        return "convKernel", [layer["macs"], outputs, 0, 0]
    nibble = layer["indexBitsPerKeptWeight"] == 4
    if nibble and layer["denseMacs"] // outputs < layer["n"]:
        return None, None  # no full group: gen keeps bytes there unless told (lowerProgram.swift indexFormat)
    groups = outputs * -(-(layer["denseMacs"] // outputs) // layer["n"])  # a partial last group included
    return "convSparse", [layer["macs"], outputs, column, layer["macs"] if nibble else 0, groups]


# A calibration plan that samples only DARB's grouped layers.
DARB_ONLY = "darb only"
# And one that samples only the layers named conv1 and pool1 (the lane and pixel-pair shapes' own layer, and its pool).
CONV1_ONLY = "conv1 only"


def calibrate(out):
    """Fits Toolchains/mcu.json's costModel to per-layer counts on Cortex-M4 -O2 and prints it."""
    import numpy as np
    samples = {}
    with tempfile.TemporaryDirectory() as scratch:
        paths = {"lenet": os.path.join(scratch, "lenet.json")}
        lenet_model(paths["lenet"])
        plans = []  # (model, gen flags, which layers to sample: True for its conv2d layers only, DARB_ONLY, CONV1_ONLY, or False for all)
        for index, shape in enumerate(LANE_SHAPES):
            paths[f"lanes{index}"] = os.path.join(scratch, f"lanes{index}.json")
            lane_model(paths[f"lanes{index}"], f"lanes{index}", shape)
            plans.append((f"lanes{index}", ["--prune", "none"], CONV1_ONLY))
            # And with a max pool after conv1: done inside it where gen fuses it, else a pool step of its own.
            paths[f"pooled{index}"] = os.path.join(scratch, f"pooled{index}.json")
            lane_model(paths[f"pooled{index}"], f"pooled{index}", shape, pool=True)
            plans.append((f"pooled{index}", ["--prune", "none"], CONV1_ONLY))
        for model in ["lenet", "digits_mlp", "digits_cnn", "digits_mlp_wide", "digits_cnn_wide"]:
            cnn = model.startswith("digits_cnn")
            plans.append((model, ["--prune", "none"], False))
            # Not k = 1: with its layers (bytes only) the linear convSparse fit priced the wide CNN's 2-of-9 conv1
            # below its lane-pair dense form (17,395 against 17,441; measured 19,099 sparse against 11,980 for the dense
            # form holding the pruned zeros), and gen
            # then lowered it sparse at 2/16 (tried 2026-12-07). Without them it prices 1/16's conv2 14 % high.
            for k, index_format in [(8, "byte"), (8, "nibble"), (4, "byte"), (4, "nibble"), (2, "byte"), (2, "nibble")]:
                plans.append((model, ["--prune", "kofn", "--k", str(k), "--n", "16", "--sparse-lowering", "always",
                              "--index-format", index_format], False))
            # Vector-wise sets: dense layers, and conv2d over its column.
            for k in [4, 2]:
                for rows in [6, 12, 24]:
                    plans.append((model, ["--prune", "kofn", "--k", str(k), "--n", "16", "--kofn-rows", str(rows),
                                          "--sparse-lowering", "always"], False))
            # DARB's groups, dense and conv2d, at three densities (its layers of one block size run the k-of-n
            # kernels, which the plans above sample: DARB_ONLY keeps these plans to the darb kind).
            for sparsity in ["0.75", "0.875", "0.94"]:
                plans.append((model, ["--prune", "darb", "--sparsity", sparsity, "--sparse-lowering", "always"], DARB_ONLY))
            if cnn:
                # EDP's data-free factors: more dense conv2d shapes for the conv fit (the CNNs' conv2 factored
                # into a 3x3 basis and a 1x1 coefficient conv), which the two CNNs alone give two layers.
                plans.append((model, ["--prune", "edp"], True))
                for k in [1, 2, 3]:
                    plans.append((model, ["--prune", "kofn", "--k", str(k), "--n", "4", "--granularity", "kernel",
                                          "--sparse-lowering", "always"], False))
        seen = set()  # a layer some other plan leaves as it is (conv1 under EDP, say) counts once
        for position, (model, flags, only) in enumerate(plans):
            path = paths.get(model, os.path.join(ROOT, "Examples", model + ".json"))
            folder = os.path.join(scratch, f"c{position}")
            os.makedirs(folder)
            report = generate(path, model, folder, flags)
            for layer, count in layer_counts(folder, model, report):
                if only is True and layer["type"] != "conv2d" or only == CONV1_ONLY and layer["name"] not in ("conv1", "pool1"):
                    continue
                kind, vector = features(layer)
                if only == DARB_ONLY and kind != "darb":
                    continue
                if kind is not None and (model, kind, tuple(vector), count) not in seen:
                    seen.add((model, kind, tuple(vector), count))
                    samples.setdefault(kind, []).append((vector, count))
    fits = {}
    lines = ["# Cost model calibration (written by Scripts/bench_mcu.py --calibrate)", "",
             "Per-layer instruction counts on Cortex-M4 (QEMU mps2-an386), arm-none-eabi-gcc -O2, layers kept out",
             "of line; relative least squares per kind of layer. Features: dense [MACs, outputs]; sparse and",
             "sparseScalar [kept, groups, outputs, kept with nibble indices]; conv [MACs, outputs, column elements",
             "gathered]; convLane (a dense conv2d of 4 to 11 inputs on the lane-pair kernel) [outputs x pairs, output",
             "pixels]; convPixel (a dense conv2d 3 wide with 2 or 3 kernel rows on the pixel-pair kernel) [outputs x",
             "kernel rows, outputs, output pixels], and convPool the same with the 2x2 max pool after it done inside it;",
             "maxPool (a 2x2 max pool as a step of its own) [values read]; convSparse [kept MACs, groups x outputs, outputs] with conv's column cost and the dense",
             "layers' nibble cost per kept MAC with nibble indices; convKernel [kept MACs, outputs]; shared",
             "(vector-wise k-of-n) [kept, outputs, inputs gathered (sets x kept per row)]; convShared (conv2d sets)",
             "[kept MACs, outputs, inputs gathered (pixels x sets x kept per row)] with conv's column cost; in both",
             "kept counts the row-pair kernel's columns (2 a row where it keeps 2, else at least 4); darb [kept weights x output pixels, outputs]",
             "with conv's column cost for a conv2d. A coefficient that came out negative is dropped (0).", "",
             "| kind | layers | coefficients | worst error on one layer |", "|---|---|---|---|"]
    # Kinds that reuse another kind's coefficients come after it.
    order = ["dense", "sparse", "sparseScalar", "shared", "conv", "convLane", "convPixel", "convPool", "maxPool", "convKernel", "convSparse", "convShared", "darb"]
    for kind, entries in sorted(samples.items(), key=lambda item: order.index(item[0])):
        a = np.array([v for v, _ in entries], dtype=float)
        counts = np.array([c for _, c in entries], dtype=float)
        # The part of each count that another kind's coefficients already price (0 for most kinds).
        known = np.zeros(len(entries))
        if kind == "convShared":
            known = fits["conv"][2] * a[:, 2]
            a = a[:, [0, 1, 3]]
        if kind == "darb":
            known = fits["conv"][2] * a[:, 2]
            a = a[:, :2]

        if kind in ("convSparse", "convKernel"):
            nibble = max((fits["sparse"][3] + fits["sparseScalar"][3]) / 2, 0.0)  # the model's nibbleKept
            known = fits["conv"][2] * a[:, 2] + nibble * a[:, 3]
            a = a[:, [0, 4, 1]] if kind == "convSparse" else a[:, :2]
        b = counts - known
        # Relative least squares (each layer's error counts as a fraction of its own count, so small
        # layers matter as much as big ones); a coefficient that comes out negative is dropped.
        keep = [column for column in range(a.shape[1]) if a[:, column].any()]
        while True:
            solution = np.zeros(a.shape[1])
            solution[keep] = np.linalg.lstsq(a[:, keep] / b[:, None], np.ones(len(b)), rcond=None)[0]
            negative = [column for column in keep if solution[column] < 0]
            if not negative:
                break
            keep.remove(negative[0])
        fits[kind] = solution.tolist()
        worst = max(abs(p - c) / c for p, c in zip(a @ solution + known, counts))
        lines.append(f"| {kind} | {len(entries)} | {np.round(solution, 3).tolist()} | {worst:.1%} |")
    model = {
        "reference": "Cortex-M4 (QEMU mps2-an386), arm-none-eabi-gcc 12 -O2; fitted by Scripts/bench_mcu.py --calibrate",
        "denseMAC": fits["dense"][0], "denseOutput": fits["dense"][1],
        "sparseKept": fits["sparse"][0], "sparseKeptScalar": fits["sparseScalar"][0],
        "sparseGroup": (fits["sparse"][1] + fits["sparseScalar"][1]) / 2,
        "sparseOutput": (fits["sparse"][2] + fits["sparseScalar"][2]) / 2,
        "nibbleKept": max((fits["sparse"][3] + fits["sparseScalar"][3]) / 2, 0.0),
        "convMAC": fits["conv"][0], "convOutput": fits["conv"][1], "convColumn": fits["conv"][2],
        "convLanePair": fits["convLane"][0], "convLanePixel": fits["convLane"][1],
        "convPixelRow": fits["convPixel"][0], "convPixelOutput": fits["convPixel"][1], "convPixelPixel": fits["convPixel"][2],
        "convPoolRow": fits["convPool"][0], "convPoolOutput": fits["convPool"][1], "convPoolPixel": fits["convPool"][2],
        "maxPoolInput": fits["maxPool"][0],
        "convSparseKept": fits["convSparse"][0], "convSparseGroup": fits["convSparse"][1],
        "convSparseOutput": fits["convSparse"][2], "convKernelMAC": fits["convKernel"][0],
        "convKernelOutput": fits["convKernel"][1],
        "sharedKept": fits["shared"][0], "sharedOutput": fits["shared"][1], "sharedGather": fits["shared"][2],
        "convSharedKept": fits["convShared"][0], "convSharedOutput": fits["convShared"][1],
        "convSharedGather": fits["convShared"][2],
        "darbKept": fits["darb"][0], "darbOutput": fits["darb"][1],
    }
    lines += ["", "For Toolchains/mcu.json:", "", "```json",
              json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in model.items()}), "```"]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "mcu-calibration.md"), "w") as f:
        f.write(text)
    print(text)


def markdown(rows):
    out = ["# Cortex-M instruction counts, flash and RAM (written by Scripts/bench_mcu.py)", "",
           f"Instructions of one `<name>_infer` call (mean of {VECTORS} inputs) under qemu-system-arm -icount shift=0,",
           "counted by Tools/qemu-insn; every run's outputs equal the host build's. Ratios are against the same",
           "model's dense int8 build on the same core and flags (and the same --weight-scale). Flash w+idx = weight and index tables;",
           "code = the model's .text; RAM = the model's arena (.bss), checked equal to gen's plan and to the largest",
           "pair of neighbouring intermediate tensors (the float wrapper's own input/output copies are not counted). Host: x86-64 gcc -O2 instructions under callgrind.", "",
           "| model | setting | core | opt | MACs | instructions | instr/MAC | × dense | w+idx B | × dense | code B | RAM B | host instr |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    dense = {(r["model"], r["setting"], r["core"], r["opt"]): r for r in rows if r["setting"].startswith("dense")}
    for r in rows:
        d = dense[(r["model"], dense_setting(r["setting"]), r["core"], r["opt"])]
        flash = r["weights"] + r["indices"]
        dense_flash = d["weights"] + d["indices"]
        out.append(f"| {r['model']} | {r['setting']} | {r['core']} | {r['opt']} | {r['macs']} | {r['instructions']:.0f} | "
                   f"{r['instructions'] / max(r['macs'], 1):.2f} | {r['instructions'] / d['instructions']:.3f} | "
                   f"{flash} | {flash / dense_flash:.3f} | {r['code']} | {r['ram']} | {r['hostInstructions']:.0f} |")
    return "\n".join(out) + "\n"


def svg(rows):
    """Two panels, instructions and flash (w+idx) relative to dense against density, M4 -O2, per model."""
    picked = [r for r in rows if r["core"] == "m4" and r["opt"] == "-O2" and not r["setting"].endswith(LAYER_SCALE)]
    models = sorted({r["model"] for r in picked})
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    width, height, margin = 360, 260, 48
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width}" height="{height + 40}" '
             f'font-family="sans-serif" font-size="11">']

    def panel(x0, title, value):
        parts.append(f'<text x="{x0 + width / 2}" y="16" text-anchor="middle">{title}</text>')
        left, top, right, bottom = x0 + margin, 28, x0 + width - 12, height - 8
        parts.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#888"/>')
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0]:
            y = bottom - tick * (bottom - top)
            parts.append(f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">{tick * 1.2:.2f}</text>')
            x = left + tick * (right - left)
            parts.append(f'<text x="{x}" y="{bottom + 14}" text-anchor="middle">{tick:.2f}</text>')
        dashes = {"auto": "", "forced": ' stroke-dasharray="4 3"', "rows 12": ' stroke-dasharray="1 2"',
                  "rows 24": ' stroke-dasharray="6 2 1 2"'}
        for index, model in enumerate(models):
            dense = next(r for r in picked if r["model"] == model and r["setting"] == "dense")
            for name, dash in dashes.items():
                series = sorted((r for r in picked if r["model"] == model and
                                 (r["setting"] == "dense" or family(r["setting"]) == name)),
                                key=lambda r: r["density"])
                points = [(left + r["density"] * (right - left),
                           bottom - min(value(r) / value(dense), 1.2) / 1.2 * (bottom - top)) for r in series]
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colors[index % 4]}"{dash}/>')
                for x, y in points:
                    parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colors[index % 4]}"/>')
        parts.append(f'<text x="{x0 + width / 2}" y="{height + 24}" text-anchor="middle">density (kept fraction)</text>')

    panel(0, "instructions / dense (M4, -O2)", lambda r: r["instructions"])
    panel(width, "flash of weights+indices / dense", lambda r: r["weights"] + r["indices"])
    for index, model in enumerate(models):
        parts.append(f'<text x="{2 * width - 130}" y="{44 + 14 * index}" fill="{colors[index % 4]}">{model}</text>')
    legend = ["dashed: --sparse-lowering always", "dotted: --kofn-rows 12", "dash-dot: --kofn-rows 24"]
    for line, text in enumerate(legend):
        parts.append(f'<text x="{2 * width - 200}" y="{44 + 14 * (len(models) + line)}">{text}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    main()
