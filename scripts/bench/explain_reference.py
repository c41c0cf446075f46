"""Reference timings for `npm run bench:explain`: shap.TreeExplainer on a 100-tree iris RandomForest and
XGBoost's pred_contribs on a 300-tree depth-8 booster, one thread, 10 000 rows and single rows.

  <python with shap + scikit-learn> scripts/bench/explain_reference.py prepare-forest DIR
  <python with xgboost>             scripts/bench/explain_reference.py prepare-xgboost DIR
  <same python>                     scripts/bench/explain_reference.py time-forest|time-xgboost DIR SINGLE_ROWS [ROWS]

`prepare-*` writes the model and 10 000 rows (rows.json) into DIR; `time-*` loads them, explains the
batch once and SINGLE_ROWS rows one by one, and prints one JSON line: batch seconds, single-row µs.
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def prepare_forest(d):
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    iris = load_iris()
    rf = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(iris.data, iris.target)
    joblib.dump(rf, os.path.join(d, "forest.joblib"))
    rng = np.random.default_rng(5)
    rows = iris.data[rng.integers(0, len(iris.data), 10000)] + rng.normal(0, 0.1, (10000, 4))
    json.dump(np.round(rows, 3).tolist(), open(os.path.join(d, "forest-rows.json"), "w"))


def prepare_xgboost(d):
    import xgboost as xgb

    rng = np.random.default_rng(6)
    X = rng.normal(size=(20000, 20))
    y = X[:, 0] * 2 + np.sin(X[:, 1] * 3) + X[:, 2] * X[:, 3] + rng.normal(0, 0.3, 20000)
    bst = xgb.train({"max_depth": 8, "eta": 0.1, "nthread": 1, "objective": "reg:squarederror"},
                    xgb.DMatrix(X, label=y), num_boost_round=300)
    bst.save_model(os.path.join(d, "xgboost.json"))
    json.dump(np.round(rng.normal(size=(10000, 20)), 4).tolist(), open(os.path.join(d, "xgboost-rows.json"), "w"))


def time_forest(d, single, n):
    import joblib
    import shap

    rf = joblib.load(os.path.join(d, "forest.joblib"))
    X = np.asarray(json.load(open(os.path.join(d, "forest-rows.json"))))[:n]
    ex = shap.TreeExplainer(rf)
    ex.shap_values(X[:10])
    t = time.perf_counter()
    ex.shap_values(X)
    batch = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(single):
        ex.shap_values(X[i : i + 1])
    one = (time.perf_counter() - t) / single
    return {"batch_s": batch, "single_us": one * 1e6, "library": f"shap {shap.__version__}"}


def time_xgboost(d, single, n):
    import xgboost as xgb

    bst = xgb.Booster({"nthread": 1}, model_file=os.path.join(d, "xgboost.json"))
    X = np.asarray(json.load(open(os.path.join(d, "xgboost-rows.json"))))[:n]
    bst.predict(xgb.DMatrix(X[:10]), pred_contribs=True)
    t = time.perf_counter()
    bst.predict(xgb.DMatrix(X, nthread=1), pred_contribs=True)
    batch = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(single):
        bst.predict(xgb.DMatrix(X[i : i + 1], nthread=1), pred_contribs=True)
    one = (time.perf_counter() - t) / single
    return {"batch_s": batch, "single_us": one * 1e6, "library": f"xgboost {xgb.__version__}"}


if __name__ == "__main__":
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "prepare-forest":
        prepare_forest(d)
    elif cmd == "prepare-xgboost":
        prepare_xgboost(d)
    else:
        fn = time_forest if cmd == "time-forest" else time_xgboost
        print(json.dumps(fn(d, int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 10000)))
