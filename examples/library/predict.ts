import { loadModel } from "modelserve";

const model = await loadModel("examples/iris/models/random_forest.joblib");

// One named row: one label.
const label = await model.predict({
  sepal_length: 5.5,
  sepal_width: 3.5,
  petal_length: 1.3,
  petal_width: 0.2,
});

// Many positional rows (in model.featureNames order): probabilities keyed by class label.
const probabilities = await model.predictProba([
  [5.7, 2.8, 4.5, 1.3],
  [5.1, 3.8, 1.9, 0.4],
]);

console.log(JSON.stringify({ label, probabilities, classes: model.classes }));
await model.close?.();
