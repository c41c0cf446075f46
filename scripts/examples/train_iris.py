"""Train the iris example models with the real libraries and record golden samples.

Writes examples/iris/models/{decision_tree.joblib, random_forest.joblib, xgboost.json} and, for each,
examples/iris/golden/<model>.{inputs,expected}.json: 30 held-out rows and what the library answered.

Run with Debian's python3 (scikit-learn 1.2.1, xgboost 1.7.4):  /usr/bin/python3 scripts/examples/train_iris.py
"""
import json
import os

import joblib
import numpy as np
import sklearn
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "iris")
MODELS = os.path.join(ROOT, "models")
GOLDEN = os.path.join(ROOT, "golden")
os.makedirs(MODELS, exist_ok=True)
os.makedirs(GOLDEN, exist_ok=True)

iris = load_iris(as_frame=True)
X = iris.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
y = np.array(iris.target_names)[iris.target]  # string labels, as a service would answer
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)


def golden(name, rows, predict, proba):
    with open(os.path.join(GOLDEN, f"{name}.inputs.json"), "w") as f:
        json.dump(rows, f)
    with open(os.path.join(GOLDEN, f"{name}.expected.json"), "w") as f:
        json.dump({"predict": predict, "predict_proba": proba}, f)


rows = X_test.to_dict(orient="records")

tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train)
joblib.dump(tree, os.path.join(MODELS, "decision_tree.joblib"))
golden("decision_tree", rows, tree.predict(X_test).tolist(), tree.predict_proba(X_test).tolist())

forest = RandomForestClassifier(n_estimators=100, max_depth=5, random_state=0).fit(X_train, y_train)
joblib.dump(forest, os.path.join(MODELS, "random_forest.joblib"), compress=3)
golden("random_forest", rows, forest.predict(X_test).tolist(), forest.predict_proba(X_test).tolist())

# XGBoost predicts class indices; the booster keeps the feature names.
codes = {c: i for i, c in enumerate(iris.target_names)}
booster = xgb.XGBClassifier(n_estimators=30, max_depth=3, learning_rate=0.3, random_state=0)
booster.fit(X_train, np.array([codes[c] for c in y_train]))
booster.get_booster().save_model(os.path.join(MODELS, "xgboost.json"))
golden("xgboost", rows, booster.predict(X_test).tolist(), booster.predict_proba(X_test).astype(float).tolist())

with open(os.path.join(ROOT, "models", "TRAINED_WITH.json"), "w") as f:
    json.dump({"scikit-learn": sklearn.__version__, "xgboost": xgb.__version__, "numpy": np.__version__,
               "accuracy": {"decision_tree": tree.score(X_test, y_test), "random_forest": forest.score(X_test, y_test),
                            "xgboost": float((booster.predict(X_test) == np.array([codes[c] for c in y_test])).mean())}},
              f, indent=2)
print("wrote", sorted(os.listdir(MODELS)))
