#!/usr/bin/python3
"""The table of bench/vs-pytorch/run: every time, medians, distill4j ÷ PyTorch with its spread.

    summarise.py MEASUREMENTS.jsonl OUT.md OUT.json NPROC UPTIME
"""
import json
import statistics
import sys
import time

log, md_path, json_path, nproc, uptime, threads = sys.argv[1:7]
rows = [json.loads(l) for l in open(log) if l.strip()]
WORK = [  # (label, row, pytorch figure, distill4j system, distill4j figure)
    ("MLP 784-1200-1200-10, cross-entropy", "mlp", "ceSeconds", "distill4j-live", "ceSeconds"),
    ("the same MLP as student, KD from that MLP teacher (live)", "mlp", "kdSeconds", "distill4j-live", "kdSeconds"),
    ("the same, distill4j's student reading the knowledge store", "mlp", "kdSeconds", "distill4j-store", "kdSeconds"),
    ("CNN conv32-conv64-fc128, cross-entropy", "cnn", "ceSeconds", "distill4j-live", "ceSeconds"),
    ("the same CNN as student, KD from that CNN teacher (live)", "cnn", "kdSeconds", "distill4j-live", "kdSeconds"),
    ("the same, distill4j's student reading the knowledge store", "cnn", "kdSeconds", "distill4j-store", "kdSeconds"),
]


def pick(row, system):
    return {m["round"]: m for m in rows if m["row"] == row and m["system"] == system}


def fmt(xs):
    return " ".join(f"{x:.1f}" for x in sorted(xs))


out = {"generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": int(nproc), "rows": []}
intro = (f"Generated {out['generated']} by `bench/vs-pytorch/run` on {nproc} cores "
         f"(`uptime` at the end: {uptime.strip()}). "
         + ("Each thread count is its framework's default. " if threads == "0"
            else f"Intra-op threads: {threads} on both sides (--threads). ")
         + "One epoch of Fashion-MNIST's 60,000 training images, batches of 128 (468 steps, the last partial "
         "batch dropped), Adam 1e-3, He-normal weights and zero biases, Hinton KD with T = 4 and α = 0.9, no "
         "validation split; times are the training loops alone (distill4j: the record's `trainSeconds`; PyTorch: "
         "the loop in `torch_epoch.py`), whole-process wall times below. Rounds rotate the order of the systems.")
lines = ["# distill4j against PyTorch on the same work", "", intro,
         "", "| work | PyTorch: runs (median) | distill4j: runs (median) | ratio of medians | per-round ratios |",
         "|---|---:|---:|---:|---:|"]
for label, row, pf, system, df in WORK:
    p, d = pick(row, "pytorch"), pick(row, system)
    if not p or not d:
        continue
    both = sorted(set(p) & set(d))
    pt, dt = [p[k][pf] for k in p], [d[k][df] for k in d]
    ratios = [d[k][df] / p[k][pf] for k in both]
    r = statistics.median(dt) / statistics.median(pt)
    out["rows"].append({"work": label, "row": row, "pytorch": pt, "distill4j": dt, "system": system,
                        "ratioOfMedians": r, "perRoundRatios": ratios})
    spread = f"{min(ratios):.2f}–{max(ratios):.2f} (median {statistics.median(ratios):.2f})" if ratios else "—"
    lines.append(f"| {label} | {fmt(pt)} ({statistics.median(pt):.1f} s) | {fmt(dt)} ({statistics.median(dt):.1f} s) "
                 f"| {r:.2f}× | {spread} |")
lines += ["", "Test accuracy after the epoch (median over rounds), whole-process wall time (median), threads:", "",
          "| row | system | teacher | student | wall s | rounds |", "|---|---|---:|---:|---:|---:|"]
for row in ("mlp", "cnn"):
    for system in ("pytorch", "distill4j-live", "distill4j-store"):
        m = pick(row, system)
        if not m:
            continue
        v = list(m.values())
        med = lambda key: statistics.median(x[key] for x in v)
        if system == "pytorch":
            extra = f" ({v[0]['threads']} threads, PyTorch {v[0]['version']}, BLAS {v[0]['blas']})"
        else:  # what each run's record says it trained with (records before 50e416e do not say)
            t = [x.get("threads") for x in v if x.get("threads")]
            extra = (" (" + ", ".join(sorted({f"{x['intraOp']} threads by {x['chosenBy']}" for x in t}))
                     + (f", OMP_WAIT_POLICY={t[0]['ompWaitPolicy']}" if t[0].get("ompWaitPolicy") else "") + ")") if t else ""
        lines.append(f"| {row} | {system}{extra} | {100 * med('teacherAccuracy'):.2f}% | {100 * med('studentAccuracy'):.2f}% "
                     f"| {med('wallSeconds'):.1f} | {len(v)} |")
lines += ["", "Targets (issue: distill4j ≤ 0.9× PyTorch on each row; KD from the store ≤ 0.6× PyTorch's live KD):", ""]
for r in out["rows"]:
    target = 0.6 if r["system"] == "distill4j-store" else 0.9
    lines.append(f"- {'✓' if r['ratioOfMedians'] <= target else '✗'} {r['work']}: {r['ratioOfMedians']:.2f}× (target ≤ {target}×)")
open(md_path, "w").write("\n".join(lines) + "\n")
json.dump(out | {"measurements": rows}, open(json_path, "w"), indent=1)
print("\n".join(lines))
print(f"written {md_path} and {json_path}")
