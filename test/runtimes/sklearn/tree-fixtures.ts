/**
 * @module The committed scikit-learn fixtures whose models hold trees (alone or inside pipelines,
 * containers and meta-estimators) or pickled XGBoost/LightGBM wrappers: what the loader worker lays out
 * and what the inference pool rebuilds, so both test suites run over the same families.
 */

/** Fixture directory names of the tree families. */
export const TREE_FIXTURES =
  /^(trees-|boost-|hgb-|iforest-|comp-adaboost|comp-bagging-features|comp-calibrated-isotonic-rf|comp-randomsearch-forest|comp-ttr-minmax-tree|comp-stacking-binary|comp-voting-soft|container-|multi-moc-.*rf|multi-ov[or]-tree|prep-pipeline-minmax-rf|imb-pipeline-under-tree|xgb-|lgbm-|nested-)/;
