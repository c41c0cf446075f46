"""Baseline for bench/lightgbm-batch.ts.

`train OUT_DIR`: trains a 100-tree LightGBM binary model (num_leaves 31) on the breast-cancer data with
one categorical column added and 5 % of the values missing, writes the model text, the rows (100 000,
JSON) with LightGBM's probabilities for the first 1000 of them, and prints one JSON line. `time OUT_DIR`: times LightGBM's own Booster.predict (probabilities, one
thread, best of three passes) and a single-row predict on those rows; prints one JSON line.
"""
import json
import os
import sys
import time

import lightgbm as lgb
import numpy as np
from sklearn.datasets import load_breast_cancer

mode, out = sys.argv[1], sys.argv[2]
model_path = os.path.join(out, "model.txt")
rows_path = os.path.join(out, "rows.npy")

if mode == "train":
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    category = rng.integers(0, 8, len(X)).astype(float)
    X = np.column_stack([X, category])
    X[rng.random(X.shape) < 0.05] = np.nan
    data = lgb.Dataset(X, y, categorical_feature=[X.shape[1] - 1], free_raw_data=False)
    params = {"objective": "binary", "num_leaves": 31, "verbose": -1, "num_threads": 1, "seed": 0}
    booster = lgb.train(params, data, num_boost_round=100)
    booster.save_model(model_path)
    rows = X[rng.integers(0, len(X), 100_000)]
    np.save(rows_path, rows)
    with open(os.path.join(out, "rows.json"), "w") as f:
        json.dump([[None if np.isnan(v) else v for v in r] for r in rows.tolist()], f)
    # The library's own answers for the first 1000 rows, which the bench checks before timing.
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(booster.predict(rows[:1000], num_threads=1).tolist(), f)
    print(json.dumps({"model": model_path, "rows": os.path.join(out, "rows.json"), "lightgbm": lgb.__version__}))
else:
    booster = lgb.Booster(model_file=model_path)
    rows = np.load(rows_path)
    booster.predict(rows[:100], num_threads=1)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        booster.predict(rows, num_threads=1)
        best = min(best, time.perf_counter() - t)
    one = rows[:1]
    t = time.perf_counter()
    for _ in range(200):
        booster.predict(one, num_threads=1)
    single = (time.perf_counter() - t) / 200
    print(json.dumps({"rows_per_s": len(rows) / best, "single_row_us": single * 1e6}))
