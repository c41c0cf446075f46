"""Baseline for bench/xgboost-batch.ts, in two modes.
  train OUT_DIR: trains a 100-tree XGBoost model (breast cancer, depth 4) and a second one where some
    trees split on categorical features (two features as 12 category codes, partition splits); writes
    both with 100 000 rows each, and the first model's rows with 5 % of the values missing.
  time OUT_DIR: times XGBoost's own prediction on one thread for the three cases (best of three
    passes of inplace_predict or predict on a fresh DMatrix), and one row.
Each mode prints one JSON line. Usage: python3 scripts/bench/xgboost_predict.py train|time OUT_DIR
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer

mode, out = sys.argv[1], sys.argv[2]
TYPES = ["c", "c"] + ["q"] * 28


def best_of_three(fn):
    fn()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


if mode == "train":
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    model = xgb.XGBClassifier(n_estimators=100, max_depth=4, n_jobs=1, random_state=0).fit(X, y)
    model.get_booster().save_model(os.path.join(out, "model.json"))
    rows = X[rng.integers(0, len(X), 100_000)]
    np.save(os.path.join(out, "rows.npy"), rows)
    json.dump(rows.tolist(), open(os.path.join(out, "rows.json"), "w"))
    nan_rows = rows.copy()
    nan_rows[rng.random(nan_rows.shape) < 0.05] = np.nan
    np.save(os.path.join(out, "rows_nan.npy"), nan_rows)
    json.dump([[None if np.isnan(v) else v for v in r] for r in nan_rows.tolist()], open(os.path.join(out, "rows_nan.json"), "w"))
    Xc = X.copy()
    for j in (0, 1):
        edges = np.quantile(X[:, j], np.linspace(0, 1, 13)[1:-1])
        Xc[:, j] = np.digitize(X[:, j], edges)
    cat = xgb.train({"tree_method": "hist", "max_depth": 4, "objective": "binary:logistic", "max_cat_to_onehot": 1,
                     "nthread": 1, "seed": 0}, xgb.DMatrix(Xc, y, feature_types=TYPES, enable_categorical=True), 100)
    cat.save_model(os.path.join(out, "model_cat.json"))
    cat_rows = Xc[rng.integers(0, len(Xc), 100_000)]
    np.save(os.path.join(out, "rows_cat.npy"), cat_rows)
    json.dump(cat_rows.tolist(), open(os.path.join(out, "rows_cat.json"), "w"))
    trees = json.load(open(os.path.join(out, "model_cat.json")))["learner"]["gradient_booster"]["model"]["trees"]
    print(json.dumps({"model": os.path.join(out, "model.json"), "rows": os.path.join(out, "rows.json"),
                      "nan_rows": os.path.join(out, "rows_nan.json"), "cat_model": os.path.join(out, "model_cat.json"),
                      "cat_rows": os.path.join(out, "rows_cat.json"),
                      "cat_trees": sum(1 for t in trees if sum(t["split_type"]) > 0), "xgboost": xgb.__version__}))
else:
    booster = xgb.Booster()
    booster.load_model(os.path.join(out, "model.json"))
    booster.set_param({"nthread": 1})
    cat = xgb.Booster()
    cat.load_model(os.path.join(out, "model_cat.json"))
    cat.set_param({"nthread": 1})
    rows = np.load(os.path.join(out, "rows.npy"))
    nan_rows = np.load(os.path.join(out, "rows_nan.npy"))
    cat_rows = np.load(os.path.join(out, "rows_cat.npy"))
    # A fresh DMatrix per call: XGBoost caches predictions for a DMatrix it has seen, which would time a lookup.
    plain = min(best_of_three(lambda: booster.inplace_predict(rows)),
                best_of_three(lambda: booster.predict(xgb.DMatrix(rows, nthread=1))))
    nan = best_of_three(lambda: booster.inplace_predict(nan_rows))
    categorical = best_of_three(lambda: cat.inplace_predict(cat_rows))
    one = rows[:1]
    t = time.perf_counter()
    for _ in range(200):
        booster.inplace_predict(one)
    single = (time.perf_counter() - t) / 200
    print(json.dumps({"rows_per_s": len(rows) / plain, "nan_rows_per_s": len(nan_rows) / nan,
                      "cat_rows_per_s": len(cat_rows) / categorical, "single_row_us": single * 1e6}))
