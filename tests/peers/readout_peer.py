"""Peer for tests/readout_vs_peers.rs: the reference submissions' read-outs in scikit-learn and
himalaya, written from their documentation, not from brainbench's code.

Reads {"cases": [...]} as JSON on stdin and prints {"results": [...]} in the same order.
Case kinds (layers: a list of {"train": [[...]], "test": [[...]]}, y_train: images x vertices):
  devkit: components -> pred   (Algonauts 2023 devkit: concatenate, StandardScaler, PCA,
                                LinearRegression)
  ridge:  components, folds, alphas -> pred, best_alphas   (PCA per layer, concatenate,
                                standardise, himalaya RidgeCV with KFold)
"""
import json
import sys

import numpy as np
from himalaya.backend import set_backend
from himalaya.ridge import RidgeCV
from himalaya.scoring import r2_score
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

set_backend("numpy")


def layers(case):
    return [
        (np.asarray(l["train"], dtype=np.float64), np.asarray(l["test"], dtype=np.float64))
        for l in case["layers"]
    ]


def devkit(case):
    ls = layers(case)
    x = np.concatenate([tr for tr, _ in ls], axis=1)
    xt = np.concatenate([te for _, te in ls], axis=1)
    scaler = StandardScaler().fit(x)
    pca = PCA(n_components=case["components"], svd_solver="full").fit(scaler.transform(x))
    z, zt = pca.transform(scaler.transform(x)), pca.transform(scaler.transform(xt))
    reg = LinearRegression().fit(z, np.asarray(case["y_train"], dtype=np.float64))
    return {"pred": reg.predict(zt).tolist()}


def ridge(case):
    zs, zts = [], []
    for tr, te in layers(case):
        pca = PCA(n_components=min(case["components"], *tr.shape), svd_solver="full").fit(tr)
        zs.append(pca.transform(tr))
        zts.append(pca.transform(te))
    x, xt = np.concatenate(zs, axis=1), np.concatenate(zts, axis=1)
    mean, std = x.mean(0), x.std(0)
    std[std == 0] = 1.0
    model = RidgeCV(
        alphas=np.asarray(case["alphas"], dtype=np.float64),
        fit_intercept=True,
        solver="svd",
        solver_params=dict(score_func=r2_score, warn=False),
        cv=KFold(n_splits=case["folds"]),
    )
    model.fit((x - mean) / std, np.asarray(case["y_train"], dtype=np.float64))
    return {
        "pred": np.asarray(model.predict((xt - mean) / std)).tolist(),
        "best_alphas": np.asarray(model.best_alphas_).tolist(),
    }


def main():
    cases = json.load(sys.stdin)["cases"]
    kinds = {"devkit": devkit, "ridge": ridge}
    json.dump({"results": [kinds[c["kind"]](c) for c in cases]}, sys.stdout)


if __name__ == "__main__":
    main()
