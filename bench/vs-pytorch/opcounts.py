#!/usr/bin/env python3
"""Counts what training steps cost in native calls and allocations, from PyTorch's profile of them.

  bench/vs-pytorch/opcounts.py TRACE.json STEPS [--top N]

TRACE.json is the Chrome trace that a run writes with -Ddistill4j.profile=<first>:<STEPS>:<file>
(see core/src/main/java/org/distill4j/train/NativeProfile.java), or that torch.autograd.profiler
writes for torch_epoch.py --profile. Prints, per step: the top-level operator calls (each one
native call from the training program: a forward operator, an optimizer operation, a gradient
read or clear; the backward pass is one call whose engine runs the backward functions, counted
apart), every operator call including nested ones, and the operators that allocated tensor memory
(an operator's 'cpu mem' less its nested operators': what it allocated itself) with the bytes they allocated. Operators are ATen's:
JNI calls that reach no operator (handle creation, releasing an array) are not in a profile.
"""
import argparse
import collections
import json
import re

UNITS = {"b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}


def mem_bytes(text):
    m = re.fullmatch(r"\s*(-?[0-9.]+)\s*([kKmMgG]?[bB])\s*", str(text or "0 b"))
    return float(m.group(1)) * UNITS[m.group(2).lower()] if m else 0.0


def backward_function(name):
    return name.startswith("autograd::engine") or name.endswith("Backward0") or name.endswith("Backward1") \
        or "AccumulateGrad" in name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("steps", type=int)
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    raw = json.load(open(a.trace))
    events = raw["traceEvents"] if isinstance(raw, dict) else raw
    ops = sorted((e for e in events if e.get("ph") == "X"), key=lambda e: (e.get("tid"), e["ts"], -e["dur"]))
    top = collections.Counter()
    backward_top = collections.Counter()
    every = 0
    alloc_count = collections.Counter()
    alloc_bytes = collections.Counter()
    stacks = collections.defaultdict(list)
    child_bytes = collections.Counter()
    for i, e in enumerate(ops):
        stack = stacks[e.get("tid")]
        while stack and ops[stack[-1]]["ts"] + ops[stack[-1]]["dur"] <= e["ts"]:
            stack.pop()
        if stack:
            child_bytes[stack[-1]] += mem_bytes(e.get("cpu mem"))
            # the backward engine's functions run on the engine's thread or nested in the backward call
            if backward_function(e["name"]) and not any(backward_function(ops[j]["name"]) for j in stack):
                backward_top[e["name"]] += 1
        else:
            (backward_top if backward_function(e["name"]) else top)[e["name"]] += 1
        stack.append(i)
        every += 1
    for i, e in enumerate(ops):
        b = mem_bytes(e.get("cpu mem")) - child_bytes[i]  # what the operator allocated itself
        if b > 0:
            alloc_count[e["name"]] += 1
            alloc_bytes[e["name"]] += b
    n = a.steps
    print(f"per step, over {n} profiled steps of {a.trace}:")
    print(f"  top-level operator calls (native calls of the program, backward excluded): {sum(top.values()) / n:.1f}")
    print(f"  backward functions run by the autograd engine: {sum(backward_top.values()) / n:.1f}")
    print(f"  operator calls including nested ones: {every / n:.1f}")
    print(f"  allocating operators: {sum(alloc_count.values()) / n:.1f}, {sum(alloc_bytes.values()) / n / 2**20:.2f} MiB")
    print("  top-level calls by operator:")
    for name, c in top.most_common(a.top):
        print(f"    {c / n:7.1f}  {name}")
    print("  allocations by operator:")
    for name, c in alloc_count.most_common(a.top):
        print(f"    {c / n:7.1f}  {alloc_bytes[name] / n / 2**20:8.2f} MiB  {name}")


if __name__ == "__main__":
    main()
