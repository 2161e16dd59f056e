"""Spread of the estimates across replicates against the bootstrap's, from the per-replicate CSV
that tests/coverage_study.rs writes (target/intervals-coverage.md.csv).

    python3 docs/coverage_summary.py target/intervals-coverage.md.csv

sd(estimate) is the real sampling spread of the score at the replicate size; the bootstrap's is
read off each basic interval as width / (2 * 1.95996). A ratio above 1 means the bootstrap
interval is too narrow even where its bias correction is right.
"""
import collections
import csv
import statistics
import sys


def main(path):
    rows = collections.defaultdict(list)
    for r in csv.DictReader(open(path)):
        rows[r["row"]].append(r)
    print("| row | replicates | mean estimate - target | sd(estimate) | mean bootstrap sd | ratio |")
    print("|---|---|---|---|---|---|")
    for name, v in rows.items():
        est = [float(r["estimate"]) for r in v]
        target = float(v[0]["target"])
        boot = [(float(r["basic_high"]) - float(r["basic_low"])) / (2 * 1.959963984540054) for r in v]
        sd, bsd = statistics.stdev(est), statistics.mean(boot)
        print(f"| {name} | {len(v)} | {statistics.mean(est) - target:+.4f} | {sd:.4f} | {bsd:.4f} | {sd / bsd:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1])
