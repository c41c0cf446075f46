"""Baseline for bench/xgboost-batch.ts: trains a 100-tree XGBoost model, writes it and 100 000 rows,
and times XGBoost's own Booster.predict on them with one thread. Prints one JSON line.
Usage: python3 scripts/bench/xgboost_predict.py OUT_DIR
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer

out = sys.argv[1]
X, y = load_breast_cancer(return_X_y=True)
model = xgb.XGBClassifier(n_estimators=100, max_depth=4, n_jobs=1, random_state=0).fit(X, y)
path = os.path.join(out, "model.json")
model.get_booster().save_model(path)
rng = np.random.default_rng(0)
rows = X[rng.integers(0, len(X), 100_000)]
np.save(os.path.join(out, "rows.npy"), rows)
with open(os.path.join(out, "rows.json"), "w") as f:
    json.dump(rows.tolist(), f)
booster = model.get_booster()
booster.set_param({"nthread": 1})
# A fresh DMatrix per call: XGBoost caches predictions for a DMatrix it has seen, which would time a lookup.
booster.inplace_predict(rows)
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    booster.predict(xgb.DMatrix(rows, nthread=1))
    best = min(best, time.perf_counter() - t)
    t = time.perf_counter()
    booster.inplace_predict(rows)
    best = min(best, time.perf_counter() - t)
# The same rows with 5 % of the values missing: XGBoost routes each NaN by the node's default direction.
nan_rows = rows.copy()
nan_rows[rng.random(nan_rows.shape) < 0.05] = np.nan
with open(os.path.join(out, "rows_nan.json"), "w") as f:
    json.dump([[None if np.isnan(v) else v for v in r] for r in nan_rows.tolist()], f)
booster.inplace_predict(nan_rows)
best_nan = float("inf")
for _ in range(3):
    t = time.perf_counter()
    booster.inplace_predict(nan_rows)
    best_nan = min(best_nan, time.perf_counter() - t)
one = rows[:1]
t = time.perf_counter()
for _ in range(200):
    booster.inplace_predict(one)
single = (time.perf_counter() - t) / 200
print(json.dumps({"model": path, "rows": os.path.join(out, "rows.json"), "rows_per_s": len(rows) / best, "nan_rows": os.path.join(out, "rows_nan.json"), "nan_rows_per_s": len(rows) / best_nan, "single_row_us": single * 1e6, "xgboost": xgb.__version__}))
