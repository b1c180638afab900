#!/usr/bin/env python3
"""Prints the eqv-vs-e3nn table from the JSON files of compare.sh.

usage: table.py EQV_JSON... -- E3NN_1THREAD_JSON... [-- E3NN_2THREADS_JSON...]

Each workload's time is the smallest of the medians over the rounds given
(the least disturbed round on a shared machine). The ratio is
e3nn time / eqv time: above 1, eqv is faster.
"""
import json
import sys

LABELS = {
    "tp_fwd": "channel-wise TP 32x0e+8x1o (x) 0e+1o+2e, 20k edges, forward",
    "tp_fwd_bwd": "  same, forward + backward (inputs, harmonics, weights)",
    "sh_l2": "spherical harmonics l=0..2, 20k vectors",
    "sh_l3": "spherical harmonics l=0..3, 20k vectors",
    "linear_0e": "Linear 32x0e -> 32x0e, 2k atoms",
    "linear_1o": "Linear 32x1o -> 32x1o, 2k atoms",
    "scatter": "scatter-sum 40x0e+48x1o, 20k edges -> 1.2k atoms",
}


def load(paths):
    runs = [json.load(open(p)) for p in paths]
    best = {}
    for r in runs:
        for dt, ops in r["ms"].items():
            for k, v in ops.items():
                key = (dt, k)
                best[key] = min(best.get(key, float("inf")), v)
    return best, runs


def main(argv):
    groups, cur = [], []
    for a in argv:
        if a == "--":
            groups.append(cur)
            cur = []
        else:
            cur.append(a)
    groups.append(cur)
    eqv, _ = load(groups[0])
    e1, runs1 = load(groups[1])
    e2 = load(groups[2])[0] if len(groups) > 2 and groups[2] else None
    v = runs1[0]["versions"]
    print(f"e3nn {v['e3nn']}, torch {v['torch']} (CPU); eqv kernels single-threaded; "
          f"best of {len(groups[0])} eqv / {len(groups[1])} e3nn rounds, each a median")
    head = "| workload | dtype | eqv ms | e3nn 1 thread ms | e3nn/eqv |"
    sep = "|---|---|---:|---:|---:|"
    if e2:
        head += " e3nn 2 threads ms | e3nn(2t)/eqv |"
        sep += "---:|---:|"
    print(head)
    print(sep)
    for dt in ("f32", "f64"):
        for k, label in LABELS.items():
            if (dt, k) not in eqv or (dt, k) not in e1:
                continue
            a, b = eqv[(dt, k)], e1[(dt, k)]
            row = f"| {label} | {dt} | {a:.2f} | {b:.2f} | {b / a:.2f} |"
            if e2:
                c = e2[(dt, k)]
                row += f" {c:.2f} | {c / a:.2f} |"
            print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
