"""The Python server a team would write by hand: FastAPI + pydantic, joblib.load, predict and
predict_proba. Used by `npm run bench:http` as a peer. MODEL_PATH names the joblib file.
Run: MODEL_PATH=m.joblib python3 -m uvicorn fastapi_app:app --host 127.0.0.1 --port 8765 --no-access-log
"""
import os
from typing import List

import joblib
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

model = joblib.load(os.environ["MODEL_PATH"])
classes = [c.item() if hasattr(c, "item") else c for c in model.classes_]
app = FastAPI()


class One(BaseModel):
    features: List[float]


class Batch(BaseModel):
    instances: List[List[float]]


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/predict")
def predict(body: One):
    x = np.asarray([body.features], dtype=np.float64)
    p = model.predict_proba(x)[0]
    return {"prediction": classes[int(np.argmax(p))], "probabilities": dict(zip(map(str, classes), p.tolist()))}


@app.post("/predict/batch")
def predict_batch(body: Batch):
    x = np.asarray(body.instances, dtype=np.float64)
    p = model.predict_proba(x)
    labels = [classes[i] for i in np.argmax(p, axis=1)]
    return {"predictions": labels, "probabilities": [dict(zip(map(str, classes), r)) for r in p.tolist()]}
