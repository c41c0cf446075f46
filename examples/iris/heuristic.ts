/**
 * @module The iris baseline: two petal rules, the floor any trained iris model must beat. Its
 * probabilities are the class shares of the 150 iris flowers in each rule's region.
 */

import { defineModel } from "modelserve";

const CLASSES = ["setosa", "versicolor", "virginica"] as const;

// Class counts of the iris data set in each region the rules carve out (50 / 54 / 46 flowers).
const REGION_COUNTS = {
  small: [50, 0, 0],
  narrow: [0, 49, 5],
  wide: [0, 1, 45],
} as const;

type Region = keyof typeof REGION_COUNTS;

function region(petalLength: number, petalWidth: number): Region {
  if (petalLength < 2.45) return "small";
  return petalWidth < 1.75 ? "narrow" : "wide";
}

const cm = (description: string, example: number) =>
  ({ dtype: "float", range: { min: 0, max: 100 }, description, example }) as const;

export default defineModel({
  name: "heuristic",
  version: "1",
  description:
    "Rule-based iris classifier: petal length < 2.45 cm → setosa; else petal width < 1.75 cm → versicolor; else virginica.",
  inputs: {
    sepal_length: cm("Sepal length in cm", 5.1),
    sepal_width: cm("Sepal width in cm", 3.5),
    petal_length: cm("Petal length in cm", 1.4),
    petal_width: cm("Petal width in cm", 0.2),
  },
  classes: CLASSES,
  predict: (rows) =>
    rows.map((r) => {
      const counts = REGION_COUNTS[region(r.petal_length as number, r.petal_width as number)];
      return CLASSES[counts.indexOf(Math.max(...counts) as never)];
    }),
  predictProba: (rows) =>
    rows.map((r) => {
      const counts = REGION_COUNTS[region(r.petal_length as number, r.petal_width as number)];
      const total = counts[0] + counts[1] + counts[2];
      return counts.map((c) => c / total);
    }),
});
