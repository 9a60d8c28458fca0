"""The scikit-learn model sweep the workspace's model stage is compared with (`deno task bench`).

argv[1]: JSON {"segmentation": csv (one column per feature, already log1p'd where configured),
"kMin", "kMax", "restarts", "maxIterations", "knn": csv (features + "label"), "kGrid",
"weights", "folds", "seed"}. Runs k-means for k = kMin..kMax (n_init = restarts) with exact
silhouettes on standardised features, then a KNN cross-validated grid search over kGrid x
weights (stratified folds, AUC one-vs-rest and macro F1). Prints one JSON line of timings.
"""
import json
import sys
import time

import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

spec = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
X = StandardScaler().fit_transform(pd.read_csv(spec["segmentation"]).values.astype(float))
sil = {}
for k in range(spec["kMin"], spec["kMax"] + 1):
    km = KMeans(
        n_clusters=k,
        n_init=spec["restarts"],
        max_iter=spec["maxIterations"],
        random_state=spec["seed"],
    ).fit(X)
    sil[k] = float(silhouette_score(X, km.labels_))
t1 = time.perf_counter()
knn = pd.read_csv(spec["knn"])
y = knn.pop("label").values
Xk = StandardScaler().fit_transform(knn.values.astype(float))
gs = GridSearchCV(
    KNeighborsClassifier(),
    {"n_neighbors": spec["kGrid"], "weights": spec["weights"]},
    cv=StratifiedKFold(spec["folds"], shuffle=True, random_state=spec["seed"] % 2**31),
    scoring={"auc": "roc_auc_ovr", "f1": "f1_macro"},
    refit="auc",
).fit(Xk, y)
t2 = time.perf_counter()
print(json.dumps({
    "kmeans_s": t1 - t0,
    "knn_s": t2 - t1,
    "total_s": t2 - t0,
    "customers": int(X.shape[0]),
    "knn_rows": int(Xk.shape[0]),
    "best_k": int(max(sil, key=sil.get)),
    "knn_best": gs.best_params_,
}))
