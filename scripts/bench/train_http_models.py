"""Models for `npm run bench:http`, trained with Debian's scikit-learn 1.2.1 and XGBoost 1.7.4 (what the
Python peers load): the iris RandomForest-100, a breast-cancer RandomForest-300 (max_depth=None, 30
features) and an iris XGBoost classifier, plus a 1000-row batch body for each dataset.
Usage: /usr/bin/python3 scripts/bench/train_http_models.py OUT_DIR
"""
import json
import os
import sys

import joblib
import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
Xi, yi = load_iris(return_X_y=True)
Xb, yb = load_breast_cancer(return_X_y=True)
joblib.dump(RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(Xi, yi), os.path.join(out, "iris_rf100.joblib"))
joblib.dump(RandomForestClassifier(n_estimators=300, random_state=0, n_jobs=1).fit(Xb, yb), os.path.join(out, "bc_rf300.joblib"))
booster = xgb.XGBClassifier(n_estimators=100, max_depth=4, random_state=0, n_jobs=1).fit(Xi, yi)
booster.save_model(os.path.join(out, "iris_xgb.json"))
joblib.dump(booster, os.path.join(out, "iris_xgb.joblib"))
rng = np.random.default_rng(0)
for name, X in (("iris", Xi), ("bc", Xb)):
    rows = X[rng.integers(0, len(X), 1000)]
    with open(os.path.join(out, f"{name}_one.json"), "w") as f:
        json.dump({"features": rows[0].tolist()}, f)
    with open(os.path.join(out, f"{name}_batch1000.json"), "w") as f:
        json.dump({"instances": rows.tolist()}, f)
print(json.dumps({"out": out}))
