#!/usr/bin/env python3
"""Writes the ONNX test fixtures in Tests/Fixtures/onnx/ with the `onnx` package (pip install onnx).

Run: python3 Scripts/make_onnx_fixtures.py   (deterministic: fixed seeds, no timestamps)

- mlp_gemm.onnx: Gemm(transB=1)+Relu, MatMul+Add, Clip(0,6), Gemm(alpha, beta, transB=0), Softmax
- cnn.onnx: Conv(pads)+BatchNormalization+Relu, MaxPool, Conv(SAME_UPPER, stride 2), Clip(0,6),
  AveragePool(stride 1), Reshape to [1,-1], Gemm, Softmax; batch dimension named "N"
- digits_mlp.onnx: Examples/digits_mlp.json written as ONNX (the README walkthrough starts here)
- unsupported.onnx: a Sigmoid, which gen must reject naming the node
- expected.json: for each supported model, seeded inputs and the outputs of onnx's ReferenceEvaluator

Opset 15: the reference evaluator runs BatchNormalization of opsets 9-13 with a default momentum,
mixing in batch statistics; from opset 14 on it honours training_mode=0 (inference).
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
rng = np.random.default_rng(2024)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def weights(*shape, scale=None):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    return rng.uniform(-1, 1, size=shape) * (scale or 1.5 / np.sqrt(fan_in))


def save(model, name):
    onnx.checker.check_model(model)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    return model


def make_model(nodes, inits, input_shape, output_size, name):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", output_size])],
        inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)], producer_name="sprig-fixtures")


def mlp_gemm():
    inits = [init("w1", weights(10, 12)), init("b1", weights(10, scale=0.2)),
             init("w2", weights(8, 10).T), init("b2", weights(8, scale=0.2)),
             init("w3", weights(5, 8).T), init("b3", weights(5, scale=0.2)),
             init("zero", 0.0), init("six", 6.0)]
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("MatMul", ["a1", "w2"], ["m2"], name="fc2"),
        helper.make_node("Add", ["m2", "b2"], ["h2"], name="fc2_bias"),
        helper.make_node("Clip", ["h2", "zero", "six"], ["a2"], name="clip2"),
        helper.make_node("Gemm", ["a2", "w3", "b3"], ["logits"], name="fc3", alpha=0.5, beta=2.0),
        helper.make_node("Softmax", ["logits"], ["y"], name="prob", axis=-1),
    ]
    return save(make_model(nodes, inits, ["N", 12], 5, "mlp_gemm"), "mlp_gemm.onnx")


def cnn():
    inits = [init("w1", weights(4, 2, 3, 3)), init("b1", weights(4, scale=0.2)),
             init("gamma", rng.uniform(0.6, 1.4, 4)), init("beta", rng.uniform(-0.2, 0.2, 4)),
             init("mean", rng.uniform(-0.3, 0.3, 4)), init("var", rng.uniform(0.5, 1.5, 4)),
             init("w2", weights(6, 4, 3, 3)), init("b2", weights(6, scale=0.2)),
             init("zero", 0.0), init("six", 6.0),
             numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "flat_shape"),
             init("w3", weights(3, 6)), init("b3", weights(3, scale=0.2))]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["n1"], name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="conv2", auto_pad="SAME_UPPER", strides=[2, 2]),
        helper.make_node("Clip", ["c2", "zero", "six"], ["r2"], name="clip2"),
        helper.make_node("AveragePool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Reshape", ["p2", "flat_shape"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], name="prob", axis=1),
    ]
    return save(make_model(nodes, inits, ["N", 2, 9, 9], 3, "cnn"), "cnn.onnx")


def digits_mlp():
    with open(os.path.join(ROOT, "Examples", "digits_mlp.json")) as f:
        spec = json.load(f)
    nodes, inits, current = [], [], "x"
    for index, layer in enumerate(spec["layers"]):
        name = layer.get("name", f"{layer['type']}{index}")
        if layer["type"] == "dense":
            w = np.array(layer["weights"]["data"]).reshape(layer["weights"]["shape"])
            b = np.array(layer["bias"]["data"])
            inits += [init(name + "_w", w), init(name + "_b", b)]
            nodes.append(helper.make_node("Gemm", [current, name + "_w", name + "_b"], [name], name=name, transB=1))
            current = name
            if layer.get("activation", "none") == "relu":
                nodes.append(helper.make_node("Relu", [current], [name + "_relu"], name=name + "_relu"))
                current = name + "_relu"
        elif layer["type"] == "softmax":
            nodes.append(helper.make_node("Softmax", [current], ["y"], name=name, axis=-1))
            current = "y"
    return save(make_model(nodes, inits, ["N", 64], 10, "digits_mlp"), "digits_mlp.onnx")


def unsupported():
    inits = [init("w", weights(3, 4)), init("b", weights(3))]
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1),
             helper.make_node("Sigmoid", ["h"], ["y"], name="squash")]
    return save(make_model(nodes, inits, ["N", 4], 3, "unsupported"), "unsupported.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for model, shape in [(mlp_gemm(), [12]), (cnn(), [2, 9, 9]), (digits_mlp(), [64])]:
        evaluator = ReferenceEvaluator(model)
        inputs = rng.uniform(-1 if shape != [64] else 0, 1, size=[6] + shape).astype(np.float32)
        outputs = [evaluator.run(None, {"x": sample[None]})[0][0] for sample in inputs]
        expected[model.graph.name] = {
            "inputs": [[float(v) for v in sample.ravel()] for sample in inputs],
            "outputs": [[float(v) for v in output.ravel()] for output in outputs],
        }
    unsupported()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
