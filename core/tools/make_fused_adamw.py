#!/usr/bin/env python3
"""Writes core/src/main/resources/org/distill4j/train/fused-adamw.pt, the TorchScript module through
which distill4j's Adam calls PyTorch's fused CPU kernel (aten::_fused_adamw_, PyTorch >= 2.4).

DJL's JNI exposes no fused or multi-tensor optimizer kernel, but it runs a TorchScript module's
methods, and a TorchScript archive carries its code as source text that libtorch compiles when it
loads the archive. The PyTorch here (Debian's python3-torch 1.13) predates the fused kernel, so the
module is scripted with a stand-in call of the same shape and the archive's source text is then
rewritten to call aten::_fused_adamw_; libtorch 2.7 (DJL's engine) compiles that on load.
The debug table (.debug_pkl, source ranges of the original text) is left out: it would no longer
match. Run: /usr/bin/python3 core/tools/make_fused_adamw.py
"""
import io
import os
import zipfile
from typing import List

import torch
from torch import Tensor


class FusedAdamW(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x

    @torch.jit.export
    def adamw(self, params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor],
              exp_avg_sqs: List[Tensor], steps: List[Tensor], lr: float, beta1: float, beta2: float,
              weight_decay: float, eps: float) -> int:
        torch._foreach_add_(params, grads)  # replaced below
        return 0


STAND_IN = "    torch._foreach_add_(params, grads)\n"
FUSED = ("    torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor], []), steps,"
         " lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False,"
         " maximize=False)\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "src", "main", "resources", "org", "distill4j", "train", "fused-adamw.pt")
    scripted = io.BytesIO()
    torch.jit.save(torch.jit.script(FusedAdamW()), scripted)
    scripted.seek(0)
    source = zipfile.ZipFile(scripted)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            name = info.filename
            if name.endswith(".debug_pkl"):
                continue
            data = source.read(name)
            if name.endswith("code/__torch__.py"):
                text = data.decode()
                if STAND_IN not in text:
                    raise SystemExit("make_fused_adamw.py: the scripted source has no stand-in call to replace")
                data = text.replace(STAND_IN, FUSED).encode()
            # a fixed timestamp: the same PyTorch writes the same bytes
            entry = zipfile.ZipInfo("fused-adamw/" + name.split("/", 1)[1], date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(entry, data)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(out.getvalue())
    print(f"wrote {os.path.normpath(target)} ({len(out.getvalue())} bytes)")


if __name__ == "__main__":
    main()
