#!/usr/bin/python3
"""Makes the tiny imported teachers the Java tests load, and the outputs PyTorch gave.

Run from anywhere with Debian's python3-torch (1.13) and python3-onnx:

    /usr/bin/python3 core/src/test/resources/imported/make_teachers.py

It writes, beside this script:
  tiny.onnx     ONNX (opset 13, dynamic batch): outputs "logits" [B, 10] and "features" [B, 4, 7, 7]
  tiny.pt       TorchScript (traced) returning the tuple (logits, features)
  tiny-dict.pt  TorchScript (scripted) returning the dict {"logits": ..., "features": ...}
  expected.json the outputs PyTorch gave on the first 3 test images of the committed
                Fashion-MNIST slice, for two preprocessings of the raw pixels p/255 in [0, 1]:
                "raw" (the graph receives p/255) and "scaled" (it receives (255·p/255 − 72.94) / 90.02)

All three files hold the same network (seeded), a LeNet-like CNN for samples [1, 28, 28]
with batch norm (its running statistics set to non-trivial values, so a graph run in training
mode instead of inference mode would give other outputs).
"""
import gzip
import json
import os
import struct
from typing import Dict

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SLICE = os.path.join(HERE, "..", "fashion-mnist-slice", "t10k-images-idx3-ubyte.gz")
SAMPLES = 3
SCALED = {"scale": 255.0, "mean": [72.94], "std": [90.02]}


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=5, stride=4, padding=2)  # [4, 7, 7]
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3, padding=1)  # [8, 7, 7]
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        features = torch.relu(self.bn1(self.conv1(x)))
        pooled = torch.relu(self.conv2(features)).mean(dim=(2, 3))
        return self.fc(pooled), features


class TinyDict(nn.Module):
    def __init__(self, inner: Tiny):
        super().__init__()
        self.inner = inner

    def forward(self, x) -> Dict[str, torch.Tensor]:
        logits, features = self.inner(x)
        return {"logits": logits, "features": features}


def first_test_images(n):
    with gzip.open(SLICE, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051 and count >= n, (magic, count)
        pixels = f.read(n * rows * cols)
    x = torch.tensor(list(pixels), dtype=torch.float32).reshape(n, 1, rows, cols)
    return x / 255.0


def main():
    torch.manual_seed(20)
    net = Tiny()
    with torch.no_grad():
        net.bn1.running_mean.copy_(torch.tensor([0.1, -0.2, 0.3, 0.05]))
        net.bn1.running_var.copy_(torch.tensor([0.5, 2.0, 1.5, 0.8]))
        net.bn1.weight.copy_(torch.tensor([1.2, 0.7, 1.0, 0.9]))
        net.bn1.bias.copy_(torch.tensor([0.1, 0.0, -0.1, 0.2]))
    net.eval()
    example = torch.zeros(2, 1, 28, 28)

    torch.onnx.export(net, example, os.path.join(HERE, "tiny.onnx"), input_names=["input"],
                      output_names=["logits", "features"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}})
    torch.jit.trace(net, example).save(os.path.join(HERE, "tiny.pt"))
    torch.jit.script(TinyDict(net).eval()).save(os.path.join(HERE, "tiny-dict.pt"))

    raw = first_test_images(SAMPLES)
    scaled = (raw * SCALED["scale"] - SCALED["mean"][0]) / SCALED["std"][0]
    expected = {"samples": "the first %d images of the test slice (ids 0..%d)" % (SAMPLES, SAMPLES - 1),
                "scaledPreprocess": SCALED}
    with torch.no_grad():
        for name, x in (("raw", raw), ("scaled", scaled)):
            logits, features = net(x)
            expected[name] = {"logits": logits.reshape(SAMPLES, -1).tolist(),
                              "features": features.reshape(SAMPLES, -1).tolist()}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote tiny.onnx, tiny.pt, tiny-dict.pt, expected.json to", HERE)


if __name__ == "__main__":
    main()
