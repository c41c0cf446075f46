"""Baseline for bench/sklearn-heavy.ts, in two modes.
  train OUT_DIR: trains a KNeighborsClassifier (k=5, brute force: 11 000 points of 30 features), an
    RBF SVC (standardised, in a pipeline) and an MLPClassifier (two hidden layers of 256, a few epochs)
    on one synthetic classification problem; writes them with joblib and 1000 held-out rows.
  time OUT_DIR: times scikit-learn's own predict on one thread for the 1000 rows (best of three) and
    for one row (mean of 100 calls), for each model.
Each mode prints one JSON line. Usage: python3 scripts/bench/sklearn_heavy.py train|time OUT_DIR
"""
import json
import os
import sys
import time

import joblib
import numpy as np
from sklearn.datasets import make_classification
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

os.environ.setdefault("OMP_NUM_THREADS", "1")
mode, out = sys.argv[1], sys.argv[2]
NAMES = ["knn", "svc", "mlp"]

if mode == "train":
    import warnings
    warnings.filterwarnings("ignore")
    X, y = make_classification(n_samples=12000, n_features=30, n_informative=12, random_state=0)
    json.dump(X[:1000].tolist(), open(os.path.join(out, "rows.json"), "w"))
    np.save(os.path.join(out, "rows.npy"), X[:1000])
    models = {"knn": KNeighborsClassifier(n_neighbors=5, algorithm="brute"),
              "svc": make_pipeline(StandardScaler(), SVC()),
              # A few epochs: the bench times prediction, not how well it learnt.
              "mlp": make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=5,
                                                                   random_state=0))}
    for name, m in models.items():
        m.fit(X[1000:], y[1000:])
        joblib.dump(m, os.path.join(out, name + ".joblib"))
    import sklearn
    print(json.dumps({"rows": os.path.join(out, "rows.json"), "sklearn": sklearn.__version__,
                      "support_vectors": int(models["svc"][-1].support_vectors_.shape[0]),
                      **{name: os.path.join(out, name + ".joblib") for name in NAMES}}))
else:
    from threadpoolctl import threadpool_limits
    rows = np.load(os.path.join(out, "rows.npy"))
    result = {}
    with threadpool_limits(limits=1):
        for name in NAMES:
            m = joblib.load(os.path.join(out, name + ".joblib"))
            m.predict(rows)
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                m.predict(rows)
                best = min(best, time.perf_counter() - t)
            one = rows[:1]
            m.predict(one)
            t = time.perf_counter()
            for _ in range(100):
                m.predict(one)
            result[name] = {"batch_ms": best * 1e3, "single_us": (time.perf_counter() - t) / 100 * 1e6}
    print(json.dumps(result))
