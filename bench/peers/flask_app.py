"""The same hand-written server on Flask, served by gunicorn with two sync workers (one per core of a
2-core pod). Used by `npm run bench:http` as a peer. MODEL_PATH names the joblib file.
Run: MODEL_PATH=m.joblib gunicorn -w 2 -b 127.0.0.1:8765 flask_app:app
"""
import os

import joblib
import numpy as np
from flask import Flask, jsonify, request

model = joblib.load(os.environ["MODEL_PATH"])
classes = [c.item() if hasattr(c, "item") else c for c in model.classes_]
app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.post("/predict")
def predict():
    x = np.asarray([request.get_json()["features"]], dtype=np.float64)
    p = model.predict_proba(x)[0]
    return jsonify(prediction=classes[int(np.argmax(p))], probabilities=dict(zip(map(str, classes), p.tolist())))


@app.post("/predict/batch")
def predict_batch():
    x = np.asarray(request.get_json()["instances"], dtype=np.float64)
    p = model.predict_proba(x)
    labels = [classes[i] for i in np.argmax(p, axis=1)]
    return jsonify(predictions=labels, probabilities=[dict(zip(map(str, classes), r)) for r in p.tolist()])
