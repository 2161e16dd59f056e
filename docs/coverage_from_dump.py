"""Coverage of the interval methods recomputed from the coverage study's per-replicate dump.

    BRAINBENCH_COVERAGE_DUMP=target/coverage.jsonl cargo test --release --test coverage_study -- --ignored --nocapture
    python3 docs/coverage_from_dump.py target/coverage.jsonl

Each dump line holds one replicate of one row: the estimate, the large-set target, every
resampled score, the nested resamples and the jackknife values. This script forms the
percentile, basic, iterated-basic and iterated-jackknife intervals (the latter with and without
the RSA pair-variance correction) from them with the formulas of
`src/metrics/bootstrap/interval.rs` (numpy's linear quantiles, as the Rust code uses), so its
first three columns reproduce the Rust table and the others can be tried on the very same
replicates. It also prints the real spread of the estimates against the bootstrap's and the
jackknife's standard errors.
"""
import collections
import json
import sys

import numpy as np

Z = 1.959963984540054  # scipy.special.ndtri(0.975)


def intervals(d):
    est = d["estimate"]
    s = np.array(d["samples"])
    qlo, qhi = np.percentile(s, [2.5, 97.5])
    b1 = s.mean() - est
    out = {"percentile": (qlo, qhi), "basic": (2 * est - qhi, 2 * est - qlo)}
    if d["nested"] is not None:
        b2 = 2 * b1 - (np.array(d["nested"]) - s).mean()
        out["iterated-basic"] = (2 * est - qhi - (b2 - b1), 2 * est - qlo - (b2 - b1))
        raw = sum((len(g) - 1) / len(g) * ((np.array(g) - np.mean(g)) ** 2).sum() for g in d["jackknife"])
        # The RSA pair-variance correction, applied at least 2 jackknife standard errors above 0
        # (`bootstrap_interval_adjusted`); dumps written before it have no `jackknife_excess`.
        excess = d.get("jackknife_excess", 0.0)
        var = max(raw - excess, raw / 2) if excess > 0 and est >= 2 * np.sqrt(raw) else raw
        for name, v in [("iterated-jackknife", var), ("iterated-jackknife uncorrected", raw)]:
            if v > 0:
                out[name] = (est - b2 - Z * np.sqrt(v), est - b2 + Z * np.sqrt(v))
            else:  # the Rust fallback
                out[name] = out["iterated-basic"]
    return out, s.std(ddof=1), np.sqrt(sum((len(g) - 1) / len(g) * ((np.array(g) - np.mean(g)) ** 2).sum() for g in d["jackknife"]))


def main(path):
    rows = collections.defaultdict(list)
    for line in open(path):
        d = json.loads(line)
        rows[d["row"]].append(d)
    methods = ["percentile", "basic", "iterated-basic", "iterated-jackknife",
               "iterated-jackknife uncorrected"]
    print("| row | replicates | target | mean estimate − target | sd(estimate) | mean bootstrap sd | mean jackknife se | "
          + " | ".join(f"{m} % (missed below / above)" for m in methods) + " |")
    print("|---" * (7 + len(methods)) + "|")
    for name, reps in rows.items():
        target = reps[0]["target"]
        est = np.array([d["estimate"] for d in reps])
        tally = collections.defaultdict(lambda: [0, 0, 0])
        sds, ses = [], []
        for d in reps:
            ivs, sd, se = intervals(d)
            sds.append(sd)
            ses.append(se)
            for m, (lo, hi) in ivs.items():
                t = tally[m]
                t[0] += lo <= target <= hi
                t[1] += hi < target
                t[2] += lo > target
        cells = []
        for m in methods:
            if m in tally:
                c, below, above = tally[m]
                cells.append(f"{100 * c / len(reps):.1f} ({below} / {above})")
            else:
                cells.append("–")
        print(f"| {name} | {len(reps)} | {target:.6g} | {est.mean() - target:+.4g} | {est.std(ddof=1):.4g} | "
              f"{np.mean(sds):.4g} | {np.mean(ses):.4g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
