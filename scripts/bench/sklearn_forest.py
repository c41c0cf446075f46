"""Baseline for bench/sklearn-forest.ts: trains a 100-tree RandomForestClassifier on iris (as a team would
for the iris service), writes it with joblib plus 100 000 rows, and times scikit-learn's own predict_proba
on one thread (n_jobs=1), in a batch and row by row. Prints one JSON line.
Usage: python3 scripts/bench/sklearn_forest.py OUT_DIR
"""
import json
import os
import sys
import time

import joblib
import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

out = sys.argv[1]
X, y = load_iris(return_X_y=True)
model = RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=1).fit(X, y)
path = os.path.join(out, "rf.joblib")
joblib.dump(model, path)
rng = np.random.default_rng(0)
rows = X[rng.integers(0, len(X), 100_000)] + rng.normal(0, 0.3, (100_000, 4)).round(1)
with open(os.path.join(out, "rows.json"), "w") as f:
    json.dump(rows.tolist(), f)
model.predict_proba(rows[:1000])
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    model.predict_proba(rows)
    best = min(best, time.perf_counter() - t)
one = rows[:1]
for _ in range(20):
    model.predict_proba(one)
t = time.perf_counter()
for _ in range(300):
    model.predict_proba(one)
single = (time.perf_counter() - t) / 300
print(json.dumps({"model": path, "rows": os.path.join(out, "rows.json"), "rows_per_s": len(rows) / best,
                  "single_row_us": single * 1e6, "sklearn": sklearn.__version__}))
