"""Learning curves of a fidelity bench: agreement and KL with the teacher per epoch, seed-mean.

Reads the bench's index (runs/bench-algorithms/runs.json, or the one given) and, for each run
name and model given, the per-epoch fidelity that `student.fidelityEachEpoch: true` records in
each seed's record.json; prints a Markdown table with one row per chosen epoch:
mean +- sample std over the seeds of train/test agreement (%) and KL(p_t || p_s) at T = 1.

    python3 bench/fidelity_curves.py fid-self:student-kd fid-mixup:student-kd --every 5
"""
import argparse
import json
import statistics
from pathlib import Path


def cell(values, fmt):
    if len(values) > 1:
        return (fmt + " ± " + fmt) % (statistics.mean(values), statistics.stdev(values))
    return fmt % values[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("series", nargs="+", help="RUN:MODEL, e.g. fid-self:student-kd")
    p.add_argument("--index", default="runs/bench-algorithms/runs.json")
    p.add_argument("--every", type=int, default=5, help="print every Nth epoch (and the last)")
    a = p.parse_args()
    index = json.loads(Path(a.index).read_text())
    print("| run | model | epoch | agreement train % | agreement test % | KL train | KL test | seeds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for s in a.series:
        run, model = s.split(":")
        histories = []
        for key, d in sorted(index.items()):
            if key.startswith(run + "/seed"):
                rec = json.loads((Path(d) / "record.json").read_text())
                m = next(x for x in rec["models"] if x["name"] == model)
                histories.append([e for e in m["history"] if e.get("fidelity")])
        if not histories:
            raise SystemExit(f"no finished seed of {run} in {a.index}")
        epochs = min(len(h) for h in histories)
        for i in range(epochs):
            e = i + 1
            if e % a.every and e != epochs and e != 1:
                continue
            f = [h[i]["fidelity"] for h in histories]
            print(f"| {run} | {model} | {e} | "
                  f"{cell([100 * x['agreementTrain'] for x in f], '%.2f')} | "
                  f"{cell([100 * x['agreementTest'] for x in f], '%.2f')} | "
                  f"{cell([x['klTrain'] for x in f], '%.4f')} | "
                  f"{cell([x['klTest'] for x in f], '%.4f')} | {len(f)} |")


if __name__ == "__main__":
    main()
