#!/usr/bin/python3
"""Trains a teacher in PyTorch on Fashion-MNIST and exports it to ONNX, for distill4j to import.

    /usr/bin/python3 bench/interop/train_teacher.py [--data DIR] [--epochs N] [--out FILE]

Debian's python3-torch (1.13) and python3-onnx are all it needs. It reads the IDX files of
--data (default /usr/share/datasets/fashion-mnist), trains a small CNN (two 3x3 conv stages with
batch norm and max pooling, then a 128-unit hidden layer) on the 60,000 training images, prints
its accuracy on the 10,000 test images, and writes --out (default bench/interop/out/teacher.onnx,
opset 13, dynamic batch) with two outputs:

    logits    [B, 10]
    features  [B, 32, 7, 7]   the second conv stage (a feature map for fitnet, at, ...)

The network takes what torchvision's ToTensor() + Normalize((0.2860,), (0.3530,)) would give:
(p/255 - 0.2860) / 0.3530. In distill4j that is the import's preprocess {mean: 0.2860, std:
0.3530} (see examples/import-onnx.yaml). A JSON beside the model records the test accuracy, the
settings and the file's SHA-256. Seeded; one thread per core; a few minutes of CPU.
"""
import argparse
import gzip
import hashlib
import json
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530
HERE = os.path.dirname(os.path.abspath(__file__))


def idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    return data.reshape(dims)


def load(data, split):
    images = idx(os.path.join(data, split + "-images-idx3-ubyte.gz")).float().div(255).unsqueeze(1)
    labels = idx(os.path.join(data, split + "-labels-idx1-ubyte.gz")).long()
    return (images - MEAN) / STD, labels


class Teacher(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        features = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        hidden = F.dropout(F.relu(self.fc1(features.flatten(1))), 0.2, self.training)
        return self.fc2(hidden), features


def accuracy(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (net(x[i:i + 1000])[0].argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=os.path.join(HERE, "out", "teacher.onnx"))
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    train_x, train_y = load(a.data, "train")
    test_x, test_y = load(a.data, "t10k")

    net = Teacher()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    steps = a.epochs * ((len(train_x) + 127) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    start = time.time()
    for epoch in range(a.epochs):
        net.train()
        order = torch.randperm(len(train_x))
        total = 0.0
        for i in range(0, len(train_x), 128):
            batch = order[i:i + 128]
            loss = F.cross_entropy(net(train_x[batch])[0], train_y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            total += loss.item() * len(batch)
        print("epoch %d/%d  train loss %.4f  test accuracy %.2f%%  (%.0f s)" % (
            epoch + 1, a.epochs, total / len(train_x), 100 * accuracy(net, test_x, test_y), time.time() - start),
            flush=True)
    net.eval()
    test_accuracy = accuracy(net, test_x, test_y)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.onnx.export(net, torch.zeros(2, 1, 28, 28), a.out, input_names=["input"],
                      output_names=["logits", "features"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}})
    with open(a.out, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    info = {"model": os.path.basename(a.out), "sha256": sha, "testAccuracy": test_accuracy,
            "testSamples": len(test_x), "trainSamples": len(train_x), "epochs": a.epochs, "seed": a.seed,
            "parameters": sum(t.numel() for t in net.parameters()), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "seconds": round(time.time() - start),
            "preprocess": {"mean": MEAN, "std": STD}}
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print("teacher: test accuracy %.2f%% on %d images; wrote %s (sha256 %s)" % (
        100 * test_accuracy, len(test_x), a.out, sha[:12]))


if __name__ == "__main__":
    main()
