"""The ONNX MLP of `npm run bench:batching`: a breast-cancer MLPClassifier (two hidden layers of 256, ReLU)
fitted with Debian's scikit-learn and written as an ONNX graph with Debian's `onnx` helper API in the layout
skl2onnx gives an MLP without ZipMap (standardisation, MatMul/Add/Relu layers, Softmax, ArgMax and a
class-label lookup), plus a one-row request body.
Usage: /usr/bin/python3 scripts/bench/train_onnx_mlp.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_breast_cancer
from sklearn.neural_network import MLPClassifier

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
X, y = load_breast_cancer(return_X_y=True)
mean, std = X.mean(0), X.std(0)
mlp = MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=300, random_state=0).fit((X - mean) / std, y)

f32 = lambda a: np.asarray(a, dtype=np.float32)
inits = [
    numpy_helper.from_array(f32(mean), "mean"),
    numpy_helper.from_array(f32(std), "std"),
    numpy_helper.from_array(np.asarray(mlp.classes_, dtype=np.int64), "classes"),
]
nodes = [helper.make_node("Sub", ["X", "mean"], ["centred"]), helper.make_node("Div", ["centred", "std"], ["h0"])]
last = "h0"
for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
    inits += [numpy_helper.from_array(f32(w), f"W{i}"), numpy_helper.from_array(f32(b), f"B{i}")]
    nodes += [helper.make_node("MatMul", [last, f"W{i}"], [f"m{i}"]), helper.make_node("Add", [f"m{i}", f"B{i}"], [f"a{i}"])]
    last = f"a{i}"
    if i < len(mlp.coefs_) - 1:
        nodes.append(helper.make_node("Relu", [last], [f"r{i}"]))
        last = f"r{i}"
# One logistic output for two classes: probabilities [1 - p, p], as scikit-learn computes them.
nodes += [
    helper.make_node("Sigmoid", [last], ["p1"]),
    helper.make_node("Neg", ["p1"], ["negp1"]),
    helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(np.ones((1, 1), dtype=np.float32))),
    helper.make_node("Add", ["one", "negp1"], ["p0"]),
    helper.make_node("Concat", ["p0", "p1"], ["probabilities"], axis=1),
    helper.make_node("ArgMax", ["probabilities"], ["index"], axis=1, keepdims=1),
    helper.make_node("ArrayFeatureExtractor", ["classes", "index"], ["picked"], domain="ai.onnx.ml"),
    helper.make_node("Reshape", ["picked", "flat"], ["label"]),
]
inits.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"))
graph = helper.make_graph(
    nodes,
    "bc_mlp_256x256",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, X.shape[1]])],
    [
        helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
    ],
    inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "bc_mlp.onnx"))
print(json.dumps({"out": out, "train_accuracy": float(mlp.score((X - mean) / std, y))}))
