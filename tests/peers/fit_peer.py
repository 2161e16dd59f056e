"""Peer for tests/fit_vs_peers.rs: himalaya's RidgeCV (solver "svd"), scikit-learn's KFold and PCA.

Reads {"cases": [...]} as JSON on stdin and prints {"results": [...]} in the same order.
Case kinds:
  ridge: x_train, y_train, x_test, alphas, splits [{train, test}], score (r2|pearson|neg_mse)
         -> best_alphas, cv_scores, coef, intercept, pred
  kfold: n, k -> splits [{train, test}]
  pca:   x_train, x_test, n_components
         -> mean, components, singular_values, explained_variance, explained_variance_ratio, transformed
"""
import json
import sys

import numpy as np
from himalaya.backend import set_backend
from himalaya.ridge import RidgeCV
from himalaya.scoring import correlation_score, l2_neg_loss, r2_score
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold

set_backend("numpy")
SCORES = {"r2": r2_score, "pearson": correlation_score, "neg_mse": l2_neg_loss}


def standardise(x, mean, std):
    return (x - mean) / std


def ridge(case):
    x = np.asarray(case["x_train"], dtype=np.float64)
    y = np.asarray(case["y_train"], dtype=np.float64)
    xt = np.asarray(case["x_test"], dtype=np.float64)
    # Standardise with training statistics (ddof = 0, zero std -> 1), as brainbench does.
    mean = x.mean(0)
    std = x.std(0)
    std[std == 0] = 1.0
    cv = [(np.asarray(s["train"]), np.asarray(s["test"])) for s in case["splits"]]
    model = RidgeCV(
        alphas=np.asarray(case["alphas"], dtype=np.float64),
        fit_intercept=True,
        solver="svd",
        solver_params=dict(score_func=SCORES[case["score"]], warn=False),
        cv=cv,
    )
    model.fit(standardise(x, mean, std), y)
    pred = model.predict(standardise(xt, mean, std))
    return {
        "best_alphas": np.asarray(model.best_alphas_).tolist(),
        "cv_scores": np.asarray(model.cv_scores_).tolist(),
        "coef": np.asarray(model.coef_).tolist(),
        "intercept": np.asarray(model.intercept_).tolist(),
        "pred": np.asarray(pred).tolist(),
    }


def kfold(case):
    splits = KFold(n_splits=case["k"]).split(np.zeros(case["n"]))
    return {"splits": [{"train": tr.tolist(), "test": te.tolist()} for tr, te in splits]}


def pca(case):
    x = np.asarray(case["x_train"], dtype=np.float64)
    model = PCA(n_components=case["n_components"], svd_solver="full").fit(x)
    return {
        "mean": model.mean_.tolist(),
        "components": model.components_.tolist(),
        "singular_values": model.singular_values_.tolist(),
        "explained_variance": model.explained_variance_.tolist(),
        "explained_variance_ratio": model.explained_variance_ratio_.tolist(),
        "transformed": model.transform(np.asarray(case["x_test"], dtype=np.float64)).tolist(),
    }


def main():
    cases = json.load(sys.stdin)["cases"]
    kinds = {"ridge": ridge, "kfold": kfold, "pca": pca}
    json.dump({"results": [kinds[c["kind"]](c) for c in cases]}, sys.stdout)


if __name__ == "__main__":
    main()
