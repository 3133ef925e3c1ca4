#!/usr/bin/env python3
"""Rebuild a distill4j export folder in PyTorch and check it against distill4j's logits.

Reads only the folder (docs/export.md): verifies every file against the SHA-256 in
manifest.json, builds the network from architecture.json, loads weights.safetensors (parsed
here by hand: the format is an 8-byte little-endian header length, a JSON header, raw
little-endian data), applies preprocessing.json to the raw reference inputs, runs them and
compares the logits with those distill4j wrote (reference.safetensors from
`distill export --reference`, or a file from `distill predict --logits`).

    python3 bench/interop/rebuild.py EXPORT_DIR [--reference FILE] [--tolerance 1e-4]

Prints the largest absolute logit difference (from the raw inputs through the preprocessing,
and from distill4j's normalised inputs through the network alone), the argmax agreement and
the accuracy, then a line `RESULT {json}`; exits 1 if a difference exceeds the tolerance, 2
if the folder is damaged (naming the file). Needs PyTorch and NumPy (Debian: python3-torch).

As a library: `model, preprocess, classes = load_export(path)`, then
`model(preprocess(raw))` gives logits for a batch of raw inputs.
"""
import argparse
import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DTYPES = {"F32": np.dtype("<f4"), "I32": np.dtype("<i4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}
BATCH = 500


class Damaged(Exception):
    """A file of the export fails its checksum, is missing or is not what it should be."""


def read_safetensors(path):
    """Every tensor of a safetensors file as a torch tensor, by name."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise Damaged(f"{path} is truncated: {len(data)} bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise Damaged(f"{path}: header length {n} exceeds the file ({len(data)} bytes)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    start = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES[t["dtype"]]
        begin, end = t["data_offsets"]
        if start + end > len(data) or end - begin != dtype.itemsize * int(np.prod(t["shape"], dtype=np.int64)):
            raise Damaged(f"{path}: tensor {name!r} does not fit its offsets")
        arr = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=start + begin)
        out[name] = torch.from_numpy(arr.reshape(t["shape"]).astype(dtype.newbyteorder("="), copy=True))
    return out


def verify(folder):
    """Checks every file manifest.json lists against its size and SHA-256; returns the manifest."""
    folder = Path(folder)
    manifest_file = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise Damaged(f"{manifest_file} is missing or not valid JSON ({e})")
    if manifest.get("format") != "distill4j-export" or manifest.get("version") != 1:
        raise Damaged(f"{manifest_file} is not a version-1 distill4j export manifest")
    for required in ("architecture.json", "weights.safetensors", "preprocessing.json", "classes.json"):
        if required not in manifest["files"]:
            raise Damaged(f"{manifest_file} lists no {required}")
    for name, entry in manifest["files"].items():
        f = folder / name
        if not f.is_file():
            raise Damaged(f"{f} is missing (listed in {manifest_file})")
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        if digest != entry["sha256"] or f.stat().st_size != entry["bytes"]:
            raise Damaged(f"{f} is damaged: its SHA-256 is {digest[:12]}…, the manifest says {entry['sha256'][:12]}…")
    return manifest


class Chain(nn.Module):
    """Layers applied in order; a layer that reads the network's input (the token ids and their attention mask,
    a pair) is given it too."""

    def __init__(self, mods):
        super().__init__()
        self.mods = nn.ModuleList(mods)

    def forward(self, x, ids=None):
        for m in self.mods:
            x = m(x, ids) if getattr(m, "reads_ids", False) else m(x)
        return x


class Residual(nn.Module):
    """main(x) + shortcut(x); an empty shortcut is the identity."""
    reads_ids = True

    def __init__(self, main, shortcut):
        super().__init__()
        self.main = main
        self.shortcut = shortcut

    def forward(self, x, ids=None):
        return self.main(x, ids) + self.shortcut(x, ids)


def token_ids(x, mask=None):
    """Float token ids [N, L] as int64, and their attention mask as float (1 a real token, 0 padding): the
    tokenizer's, as the reference's attention_mask holds it, or without one the ids that are not 0."""
    ids = x.to(torch.int64)
    return ids, (ids != 0).to(torch.float32) if mask is None else mask.to(torch.float32)


class TokenEmbedding(nn.Module):
    """Ids [N, L] -> rows of the table (id folded mod rows), channels first [N, dim, L]."""

    def __init__(self, rows, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(rows, dim))

    def forward(self, x):
        ids, _ = token_ids(x)
        return F.embedding(torch.remainder(ids, self.weight.shape[0]), self.weight).transpose(1, 2)


class MaskedMaxPool1d(nn.Module):
    """[N, C, L] -> [N, C]: the max over the positions the attention mask holds (padding gets -1e4 added)."""
    reads_ids = True

    def forward(self, x, ids=None):
        _, mask = token_ids(*ids)
        return (x + ((mask - 1) * 1e4).unsqueeze(1)).amax(dim=2)


class NgramBag(nn.Module):
    """Ids [N, L] -> [N, dim]: the mean of the rows of the hashed unigrams and bigrams without padding."""
    reads_ids = True

    def __init__(self, buckets, dim, multiplier):
        super().__init__()
        self.multiplier = multiplier
        self.weight = nn.Parameter(torch.zeros(buckets, dim))

    def forward(self, x, ids=None):
        ids, mask = token_ids(x, None if ids is None else ids[1])
        buckets = self.weight.shape[0]
        grams, gram_mask = torch.remainder(ids, buckets), mask
        if ids.shape[1] > 1:
            a, b = ids[:, :-1], ids[:, 1:]
            bigrams = torch.remainder(a * self.multiplier + b + 1, buckets)
            grams = torch.cat([grams, bigrams], 1)
            gram_mask = torch.cat([mask, mask[:, :-1] * mask[:, 1:]], 1)
        rows = F.embedding(grams, self.weight)
        total = (rows * gram_mask.unsqueeze(2)).sum(1)
        return total / gram_mask.sum(1, keepdim=True).clamp(min=1)


class GlobalAvgPool2d(nn.Module):
    """The mean over H and W: [N, C, H, W] -> [N, C]."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class BatchNorm(nn.Module):
    """Batch normalisation over axis 1 with running statistics (inference)."""

    def __init__(self, channels, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)


def tensor(tensors, name, shape):
    t = tensors.get(name)
    if t is None:
        raise Damaged(f"weights.safetensors has no tensor {name!r}")
    if list(t.shape) != list(shape):
        raise Damaged(f"weights.safetensors: tensor {name!r} has shape {list(t.shape)}, the architecture needs {shape}")
    return t


def layer(spec, tensors):
    """One layer of architecture.json as a torch module, its weights set."""
    kind = spec["type"]
    if kind == "conv2d":
        m = nn.Conv2d(spec["in"], spec["out"], tuple(spec["kernel"]), tuple(spec["stride"]), tuple(spec["padding"]),
                      tuple(spec["dilation"]), spec["groups"], bias=spec["bias"] is not None)
        m.weight.data.copy_(tensor(tensors, spec["weight"], list(m.weight.shape)))
        if spec["bias"] is not None:
            m.bias.data.copy_(tensor(tensors, spec["bias"], [spec["out"]]))
        return m
    if kind == "batchnorm":
        m = BatchNorm(spec["channels"], spec["eps"])
        c = [spec["channels"]]
        m.weight.data.copy_(tensor(tensors, spec["weight"], c))
        m.bias.data.copy_(tensor(tensors, spec["bias"], c))
        m.running_mean.copy_(tensor(tensors, spec["runningMean"], c))
        m.running_var.copy_(tensor(tensors, spec["runningVar"], c))
        return m
    if kind == "linear":
        m = nn.Linear(spec["in"], spec["out"], bias=spec["bias"] is not None)
        m.weight.data.copy_(tensor(tensors, spec["weight"], [spec["out"], spec["in"]]))
        if spec["bias"] is not None:
            m.bias.data.copy_(tensor(tensors, spec["bias"], [spec["out"]]))
        return m
    if kind == "relu":
        return nn.ReLU()
    if kind == "maxpool2d":
        return nn.MaxPool2d(tuple(spec["kernel"]), tuple(spec["stride"]), tuple(spec["padding"]))
    if kind == "globalavgpool2d":
        return GlobalAvgPool2d()
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dropout":
        return nn.Dropout(spec["p"])
    if kind == "residual":
        return Residual(layers(spec["main"], tensors), layers(spec["shortcut"], tensors))
    if kind == "tokenembedding":
        m = TokenEmbedding(spec["rows"], spec["dim"])
        m.weight.data.copy_(tensor(tensors, spec["weight"], [spec["rows"], spec["dim"]]))
        return m
    if kind == "conv1d":
        m = nn.Conv1d(spec["in"], spec["out"], spec["kernel"], spec["stride"], spec["padding"], spec["dilation"],
                      bias=spec["bias"] is not None)
        m.weight.data.copy_(tensor(tensors, spec["weight"], [spec["out"], spec["in"], spec["kernel"]]))
        if spec["bias"] is not None:
            m.bias.data.copy_(tensor(tensors, spec["bias"], [spec["out"]]))
        return m
    if kind == "maskedmaxpool1d":
        return MaskedMaxPool1d()
    if kind == "ngrambag":
        m = NgramBag(spec["buckets"], spec["dim"], spec["multiplier"])
        m.weight.data.copy_(tensor(tensors, spec["weight"], [spec["buckets"], spec["dim"]]))
        return m
    raise Damaged(f"architecture.json: unknown layer type {kind!r}")


def layers(specs, tensors):
    return Chain([layer(s, tensors) for s in specs])


class Rebuilt(nn.Module):
    """The stages of architecture.json in order; heads branch off a stage or an earlier head."""

    def __init__(self, arch, tensors):
        super().__init__()
        self.names = [s["name"] for s in arch["stages"]]
        self.stages = nn.ModuleList([layers(s["layers"], tensors) for s in arch["stages"]])
        self.heads = [(h["name"], h["source"]) for h in arch["heads"]]
        self.head_modules = nn.ModuleList([layers(h["layers"], tensors) for h in arch["heads"]])

    def forward(self, x, taps=False, mask=None):
        out = {}
        ids = (x, mask)  # what a text layer reads: the token ids and their attention mask (None: ids != 0)
        for name, stage in zip(self.names, self.stages):
            x = stage(x, ids)
            out[name] = x
        if not taps:
            return out["logits"]
        for (name, source), head in zip(self.heads, self.head_modules):
            out[name] = head(out[source], ids)
        return out


def preprocessor(pre):
    """raw [N, *inputShape] (pixels in [0, 1], CSV numbers, a text model's token ids) -> the network's input, as
    distill4j normalises. A text model's texts become token ids with its tokenizer.json (preprocessing.json's
    "text"), which needs the Hugging Face tokenizers package; this script starts from the reference's ids."""
    norm = pre["normalise"]
    shape = pre["inputShape"]
    mean = torch.tensor(norm["mean"], dtype=torch.float32)
    inv = torch.tensor([1.0 / s for s in norm["std"]], dtype=torch.float64).to(torch.float32)
    if norm["layout"] == "PER_CHANNEL":
        view = [1, len(norm["mean"])] + [1] * (len(shape) - 1)
    else:
        view = [1, len(norm["mean"])]
    mean, inv = mean.view(view), inv.view(view)
    return lambda raw: (raw - mean) * inv


def load_export(folder):
    """(model in eval mode, preprocess function, class names, manifest) of a verified export folder."""
    folder = Path(folder)
    manifest = verify(folder)
    arch = json.loads((folder / "architecture.json").read_text("utf-8"))
    if arch.get("format") != "distill4j-architecture" or arch.get("version") != 1:
        raise Damaged(f"{folder / 'architecture.json'} is not a version-1 distill4j architecture")
    model = Rebuilt(arch, read_safetensors(folder / "weights.safetensors")).eval()
    pre = json.loads((folder / "preprocessing.json").read_text("utf-8"))
    classes = json.loads((folder / "classes.json").read_text("utf-8"))
    return model, preprocessor(pre), classes, manifest


def batched(model, x, mask=None):
    with torch.no_grad():
        return torch.cat([model(x[i:i + BATCH], mask=None if mask is None else mask[i:i + BATCH])
                          for i in range(0, x.shape[0], BATCH)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="an export folder (distill export)")
    ap.add_argument("--reference", help="inputs and distill4j logits (default: EXPORT/reference.safetensors)")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="largest accepted |logit difference| (default 1e-4)")
    args = ap.parse_args()
    try:
        model, preprocess, classes, manifest = load_export(args.export)
        ref_file = Path(args.reference) if args.reference else Path(args.export) / "reference.safetensors"
        if not ref_file.is_file():
            print(f"no reference inputs: {ref_file} (export with --reference N|all, or give --reference FILE)",
                  file=sys.stderr)
            return 2
        ref = read_safetensors(ref_file)
    except Damaged as e:
        print(f"damaged export: {e}", file=sys.stderr)
        return 2
    want = ref["logits"]
    mask = ref.get("attention_mask")  # a text student's reference: the tokenizer's masks of its texts
    from_raw = batched(model, preprocess(ref["raw"]), mask)
    from_input = batched(model, ref["input"], mask)
    diff_raw = (from_raw - want).abs().max().item()
    diff_input = (from_input - want).abs().max().item()
    agree = (from_raw.argmax(1) == want.argmax(1)).float().mean().item()
    labels = ref["labels"].long()
    known = labels >= 0
    accuracy = (from_raw.argmax(1)[known] == labels[known]).float().mean().item() if known.any() else float("nan")
    n = want.shape[0]
    print(f"{manifest['model']} ({manifest['architecture']}, {manifest['parameters']:,} parameters) rebuilt in "
          f"PyTorch {torch.__version__} from {args.export}")
    print(f"{n} inputs: max |logit difference| {diff_raw:.3g} from the raw inputs through preprocessing.json, "
          f"{diff_input:.3g} from distill4j's normalised inputs; argmax agreement {100 * agree:.2f}%; "
          f"accuracy {100 * accuracy:.2f}%")
    ok = diff_raw <= args.tolerance and diff_input <= args.tolerance
    print("RESULT " + json.dumps({"model": manifest["model"], "architecture": manifest["architecture"],
                                  "parameters": manifest["parameters"], "inputs": n, "maxAbsDiffRaw": diff_raw,
                                  "maxAbsDiffInput": diff_input, "argmaxAgreement": agree, "accuracy": accuracy,
                                  "tolerance": args.tolerance, "ok": ok}))
    if not ok:
        print(f"FAILED: a difference exceeds the tolerance {args.tolerance}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
