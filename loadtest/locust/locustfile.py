"""Locust load test for mlapi, in the shape of the original ml-models-api's own test.

Written for mlapi (nothing here is taken from the original file). It keeps what its users know:
three user classes weighted fast 3 : intermediate 2 : slow 1, the original model names (mlapi
serves them as aliases of fast, intermediate and slow), one random iris row per request, and a
check on the original answer field, `prediction`.

    locust -f loadtest/locust/locustfile.py --host http://127.0.0.1:8080
    locust -f loadtest/locust/locustfile.py --headless -u 20 -r 10 -t 15s \
        --host http://127.0.0.1:8080

The k6 scripts beside it (loadtest/k6/) cover the rest: every route family, caching, the knee.
"""

import csv
import os
import random

from locust import HttpUser, between, task

# The data set the models were trained on; IRIS_CSV points elsewhere if this file is moved.
IRIS_CSV = os.environ.get(
    "IRIS_CSV",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "training",
                 "data", "iris.csv"),
)
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
# Labels 0, 1 and 2: setosa, versicolor, virginica.
CLASSES = 3


def read_iris_rows(path):
    """Every row of the iris CSV as four floats, in the models' feature order."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [[float(record[name]) for name in FEATURES] for record in csv.DictReader(handle)]
    if not rows:
        raise RuntimeError(f"{path} holds no iris rows")
    return rows


IRIS_ROWS = read_iris_rows(IRIS_CSV)


class IrisModelUser(HttpUser):
    """One caller of one model: a request for a random iris row, then a short pause."""

    abstract = True
    model_name = ""
    wait_time = between(0.5, 1.5)

    @task
    def predict(self):
        row = random.choice(IRIS_ROWS)
        body = {"model_name": self.model_name, "input_data": [row]}
        # Named per model, so the statistics show each one apart.
        with self.client.post("/predict", json=body, name=f"/predict {self.model_name}",
                              catch_response=True) as response:
            problem = check_answer(response, self.model_name)
            if problem is None:
                response.success()
            else:
                response.failure(problem)


def check_answer(response, model_name):
    """None for a good answer; otherwise what is wrong with it."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        answer = response.json()
    except ValueError:
        return "the answer is not JSON"
    prediction = answer.get("prediction")
    if not isinstance(prediction, list) or len(prediction) != 1:
        return f"`prediction` is not a one-element list: {prediction!r}"
    label = prediction[0]
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < CLASSES:
        return f"`prediction` holds no class index: {label!r}"
    if answer.get("model_name") != model_name:
        return f"answered for {answer.get('model_name')!r}, not {model_name!r}"
    return None


class FastModelUser(IrisModelUser):
    weight = 3
    model_name = "fast-iris-model"


class IntermediateModelUser(IrisModelUser):
    weight = 2
    model_name = "intermediate-iris-model"


class SlowModelUser(IrisModelUser):
    weight = 1
    model_name = "slow-iris-model"
