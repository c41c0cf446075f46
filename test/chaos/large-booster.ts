/**
 * @module A large, well-formed XGBoost JSON model written at test time (a committed file of this size
 * would weigh tens of megabytes): `trees` complete binary trees of `depth` levels over `features`
 * inputs, with deterministic pseudo-random splits and leaf weights, in the layout XGBoost 1.7 saves
 * (`binary:logistic`). It loads and answers like any booster; the chaos tests use it as the large
 * legitimate model loaded beside the hostile ones.
 */

import { writeFileSync } from "node:fs";

/** Writes the model to `path` and returns its size in bytes. */
export function writeLargeBooster(path: string, trees = 600, depth = 8, features = 30): number {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const nodes = 2 ** (depth + 1) - 1;
  const inner = 2 ** depth - 1;
  const tree = (id: number) => {
    const left: number[] = [];
    const right: number[] = [];
    const parents: number[] = [];
    const feature: number[] = [];
    const condition: number[] = [];
    for (let i = 0; i < nodes; i++) {
      const leaf = i >= inner;
      left.push(leaf ? -1 : 2 * i + 1);
      right.push(leaf ? -1 : 2 * i + 2);
      parents.push(i === 0 ? 2147483647 : Math.floor((i - 1) / 2));
      feature.push(leaf ? 0 : Math.floor(rand() * features));
      // Leaves hold their weight in split_conditions, as XGBoost saves them; short decimals, as its
      // shortest float32 printing gives.
      condition.push(leaf ? Math.round((rand() - 0.5) * 2000) / 10_000 : Math.round(rand() * 1000) / 100);
    }
    const zeros = new Array<number>(nodes).fill(0);
    return {
      base_weights: condition,
      categories: [],
      categories_nodes: [],
      categories_segments: [],
      categories_sizes: [],
      default_left: left.map((l) => (l === -1 ? 0 : 1)),
      id,
      left_children: left,
      loss_changes: zeros,
      parents,
      right_children: right,
      split_conditions: condition,
      split_indices: feature,
      split_type: zeros,
      sum_hessian: new Array<number>(nodes).fill(1),
      tree_param: {
        num_deleted: "0",
        num_feature: String(features),
        num_nodes: String(nodes),
        size_leaf_vector: "1",
      },
    };
  };
  const model = {
    learner: {
      attributes: {},
      feature_names: [],
      feature_types: [],
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: "1", num_trees: String(trees) },
          iteration_indptr: Array.from({ length: trees + 1 }, (_, i) => i),
          tree_info: new Array<number>(trees).fill(0),
          trees: Array.from({ length: trees }, (_, i) => tree(i)),
        },
        name: "gbtree",
      },
      learner_model_param: {
        base_score: "5E-1",
        boost_from_average: "1",
        num_class: "0",
        num_feature: String(features),
        num_target: "1",
      },
      objective: { name: "binary:logistic", reg_loss_param: { scale_pos_weight: "1" } },
    },
    version: [1, 7, 4],
  };
  const text = JSON.stringify(model);
  writeFileSync(path, text);
  return text.length;
}
