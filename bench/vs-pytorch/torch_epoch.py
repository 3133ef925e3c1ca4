#!/usr/bin/python3
"""One row of bench/vs-pytorch in PyTorch: the same work as bench/vs-pytorch/<row>.yaml in distill4j.

    /usr/bin/python3 bench/vs-pytorch/torch_epoch.py --row mlp|cnn [--data DIR] [--seed N] [--threads N]

Trains the row's network as a teacher for one epoch with cross-entropy (timed: "ce"), then a
student of the same architecture, from fresh weights, for one epoch with Hinton KD from the live
teacher (timed: "kd"), and prints one JSON line with both times and the test accuracies.

The work matches distill4j's on purpose:
- data: Fashion-MNIST's 60,000 training images, pixels p/255 normalised as (x - 0.2860) / 0.3530
  (distill4j's constants), no validation split; evaluation on the 10,000 test images;
- batches: 128, a fresh seeded permutation each epoch, the last partial batch dropped (468 steps);
- initialisation: weights N(0, 2/fan_in) (distill4j's Xavier GAUSSIAN / IN / magnitude 2, i.e.
  He-normal), biases 0;
- optimizer: Adam, lr 1e-3, betas (0.9, 0.999), eps 1e-8 (DJL's defaults), no weight decay;
- KD: (1 - a) * CE + a * T^2 * KL(softmax(t/T) || softmax(s/T)) summed over classes, averaged
  over the batch, T = 4, a = 0.9 (distill4j's kd defaults); the teacher in eval mode, no grad.
Times are the training loops alone (the data is in memory as float32 tensors before they start),
as distill4j's record's trainSeconds are.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530


def idx(path):
    with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def find(d, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    sys.exit(f"error: {d} has no {stem}[.gz]")


def load(d):
    def images(stem):
        return ((idx(find(d, stem)).float() / 255.0 - MEAN) / STD).unsqueeze(1)
    return (images("train-images-idx3-ubyte"), idx(find(d, "train-labels-idx1-ubyte")).long(),
            images("t10k-images-idx3-ubyte"), idx(find(d, "t10k-labels-idx1-ubyte")).long())


def network(row):
    if row == "mlp":  # distill4j {type: mlp, hidden: [1200, 1200]}
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(),
                            nn.Linear(1200, 10))
    else:  # distill4j {type: cnn, channels: [32, 64], hidden: 128, batchNorm: false}
        net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, 0.0, (2.0 / (m.weight[0].numel())) ** 0.5)
            nn.init.zeros_(m.bias)
    return net


def epoch(net, x, y, seed, teacher=None, t=4.0, a=0.9, batch=128):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    steps = len(x) // batch
    net.train()
    start = time.perf_counter()
    for i in range(steps):
        b = order[i * batch:(i + 1) * batch]
        xb, yb = x[b], y[b]
        logits = net(xb)
        loss = F.cross_entropy(logits, yb)
        if teacher is not None:
            with torch.no_grad():
                soft = teacher(xb)
            kl = F.kl_div(F.log_softmax(logits / t, 1), F.log_softmax(soft / t, 1), reduction="batchmean",
                          log_target=True)
            loss = (1 - a) * loss + a * t * t * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start, steps


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        return sum((net(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000)) / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--row", choices=["mlp", "cnn"], required=True)
    p.add_argument("--data", default=os.environ.get("DISTILL4J_DATA", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (default: PyTorch's own)")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y, tx, ty = load(args.data)
    teacher = network(args.row)
    ce_seconds, steps = epoch(teacher, x, y, args.seed)
    teacher_acc = accuracy(teacher, tx, ty)
    teacher.eval()
    for q in teacher.parameters():
        q.requires_grad_(False)
    student = network(args.row)
    kd_seconds, _ = epoch(student, x, y, args.seed + 1, teacher=teacher)
    print(json.dumps({"system": "pytorch", "version": torch.__version__, "row": args.row, "threads": torch.get_num_threads(),
                      "steps": steps, "parameters": sum(q.numel() for q in student.parameters()),
                      "ceSeconds": ce_seconds, "kdSeconds": kd_seconds, "teacherAccuracy": teacher_acc,
                      "studentAccuracy": accuracy(student, tx, ty)}))


if __name__ == "__main__":
    main()
