"""Learning curves of the scheme table: each row's model beside its baseline, epoch by epoch.

Reads a RunBench config (default bench/schemes.yaml) and the run records its bench copied beside
its table (bench/results/<table>-seeds/<run>-seed<N>.json), and prints, for every row whose model
and baseline both have an epoch history, a Markdown table: per epoch, the training and validation
accuracy (%) of the model and of the baseline, mean over the seeds found, and the difference in
validation accuracy. This is the evidence of how a scheme's effect builds up (or does not) over
its schedule; the table itself compares test accuracy after the last epoch.

    python3 bench/schemes_curves.py                       # every row, every 3rd epoch and the last
    python3 bench/schemes_curves.py --rows dml,snapshot --every 1
    python3 bench/schemes_curves.py --out bench/results/schemes-curves.md
"""
import argparse
import json
import re
import statistics
from pathlib import Path


def rows_of(config):
    """The runs and rows of a bench config: a small reader for its flow-style YAML lines."""
    text = Path(config).read_text()
    rows = []
    for m in re.finditer(r"- \{run: ([^,]+), label: \"([^\"]*)\", model: ([^,]+), baseline: ([^,}]+)"
                         r"(?:, baselineRun: ([^,}]+))?", text):
        run, label, model, baseline, baseline_run = m.groups()
        rows.append((run.strip(), label, model.strip(), baseline.strip(), (baseline_run or run).strip()))
    if not rows:
        raise SystemExit(f"{config}: no rows found")
    return rows


def history(records, model):
    """Per seed, the model's epochs: [(train acc, validation acc)], or None if it has none."""
    out = []
    # a staged run's stage k continues stages 1 … k−1: its curve starts with theirs
    staged = re.fullmatch(r"stage(\d+)", model)
    chain = [f"stage{k}" for k in range(1, int(staged.group(1)) + 1)] if staged else [model]
    for rec in records:
        h = []
        for name in chain:
            m = next((x for x in rec["models"] if x["name"] == name), None)
            if m is None:
                raise SystemExit(f"record {rec['runId']}: no model {name}")
            h += [(e["trainAccuracy"], e["validationAccuracy"]) for e in m.get("history") or []
                  if e.get("validationAccuracy") is not None]
        if not h:
            return None
        out.append(h)
    return out


def mean_at(histories, i, k):
    vals = [100 * h[i][k] for h in histories if i < len(h)]
    return statistics.mean(vals) if vals else float("nan")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="bench/schemes.yaml")
    p.add_argument("--records", help="folder of copied records (default bench/results/<table>-seeds)")
    p.add_argument("--rows", help="only rows of these runs (comma-separated)")
    p.add_argument("--every", type=int, default=3, help="print every Nth epoch (and the last)")
    p.add_argument("--out", help="also write the tables to this file")
    a = p.parse_args()
    table = Path(a.config).stem
    folder = Path(a.records or f"bench/results/{table}-seeds")
    only = set(a.rows.split(",")) if a.rows else None
    lines = [f"Learning curves of `{a.config}`'s rows, from the run records in `{folder}`: training and "
             "validation accuracy (%) after each epoch, mean over the seeds found; Δ val = model − baseline. "
             "Made by `python3 bench/schemes_curves.py`.", ""]
    for run, label, model, baseline, baseline_run in rows_of(a.config):
        if only and run not in only:
            continue
        recs = [json.loads(f.read_text()) for f in sorted(folder.glob(f"{run}-seed*.json"))]
        base_recs = [json.loads(f.read_text()) for f in sorted(folder.glob(f"{baseline_run}-seed*.json"))]
        if not recs or not base_recs:
            lines += [f"### {run}: {label}", "", "no finished seed yet", ""]
            continue
        hm, hb = history(recs, model), history(base_recs, baseline)
        if hm is None or hb is None:
            continue  # e.g. an ensemble: no epochs of its own
        seeds = sorted({r["seed"] for r in recs})
        lines += [f"### {run}: {label} — `{model}` beside `{baseline}` (seeds {', '.join(map(str, seeds))})", "",
                  "| epoch | model train % | model val % | baseline train % | baseline val % | Δ val |",
                  "|---:|---:|---:|---:|---:|---:|"]
        n = max(max(len(h) for h in hm), max(len(h) for h in hb))
        for i in range(n):
            if (i + 1) % a.every and i != n - 1:
                continue
            mt, mv, bt, bv = mean_at(hm, i, 0), mean_at(hm, i, 1), mean_at(hb, i, 0), mean_at(hb, i, 1)
            lines.append(f"| {i + 1} | {mt:.2f} | {mv:.2f} | {bt:.2f} | {bv:.2f} | {mv - bv:+.2f} |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
