import { loadModel } from "modelserve";

const model = await loadModel("examples/iris/models/random_forest.joblib");

// One named row: one label.
const label = await model.predict({
  sepal_length: 5.1,
  sepal_width: 3.5,
  petal_length: 1.4,
  petal_width: 0.2,
});

// Many positional rows (in model.featureNames order): probabilities keyed by class label.
const probabilities = await model.predictProba([
  [6.3, 3.3, 6.0, 2.5],
  [5.9, 3.0, 4.2, 1.5],
]);

console.log(JSON.stringify({ label, probabilities, classes: model.classes }));
await model.close?.();
