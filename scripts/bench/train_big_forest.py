"""A forest of about 100 MB on disk for `npm run bench:scale`'s memory figures (what a second worker
costs): a RandomForestClassifier of 170 unpruned trees on 40 000 synthetic rows with 20 features,
trained with Debian's scikit-learn, plus one request body.
Usage: /usr/bin/python3 scripts/bench/train_big_forest.py OUT_DIR
"""
import json
import os
import sys

import joblib
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
X, y = make_classification(n_samples=40_000, n_features=20, n_informative=12, flip_y=0.2, random_state=0)
model = RandomForestClassifier(n_estimators=170, random_state=0, n_jobs=2).fit(X, y)
path = os.path.join(out, "big_rf170.joblib")
joblib.dump(model, path)
with open(os.path.join(out, "big_one.json"), "w") as f:
    json.dump({"features": X[0].tolist()}, f)
print(json.dumps({"out": out, "mb": os.path.getsize(path) / 2**20}))
