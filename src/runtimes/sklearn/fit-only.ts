/**
 * @module scikit-learn estimators that cannot score new data by design: they only describe the data they were
 * fitted on (`fit_transform` / `fit_predict` without `transform` / `predict`). A file holding one is refused
 * with that reason rather than as a name outside the allow-list, since no server could answer for new rows.
 */

/** Why each fit-only estimator cannot answer for new rows, by class name. */
const FIT_ONLY: Readonly<Record<string, string>> = {
  TSNE: "TSNE only embeds the rows it was fitted on (it has fit_transform but no transform)",
  MDS: "MDS only embeds the rows it was fitted on (it has fit_transform but no transform)",
  SpectralEmbedding:
    "SpectralEmbedding only embeds the rows it was fitted on (it has fit_transform but no transform)",
  DBSCAN: "DBSCAN only labels the rows it was fitted on (it has fit_predict but no predict)",
  HDBSCAN: "HDBSCAN only labels the rows it was fitted on (it has fit_predict but no predict)",
  OPTICS: "OPTICS only labels the rows it was fitted on (it has fit_predict but no predict)",
  AgglomerativeClustering:
    "AgglomerativeClustering only labels the rows it was fitted on (it has fit_predict but no predict)",
  SpectralClustering:
    "SpectralClustering only labels the rows it was fitted on (it has fit_predict but no predict)",
  SpectralBiclustering: "SpectralBiclustering only describes the matrix it was fitted on (no predict)",
  SpectralCoclustering: "SpectralCoclustering only describes the matrix it was fitted on (no predict)",
};

/**
 * The reason a file cannot be served when one of its names outside the allow-list is a scikit-learn
 * estimator that cannot score new data by design; undefined otherwise.
 */
export function fitOnlyReason(untrusted: readonly string[]): string | undefined {
  for (const q of untrusted) {
    if (!q.startsWith("sklearn.")) continue;
    const reason = FIT_ONLY[q.slice(q.lastIndexOf(".") + 1)];
    if (reason) return `${reason}: it cannot score new data by design`;
  }
  return undefined;
}
