#!/usr/bin/env python3
"""Writes the TorchScript module bench/ab/ConvLayoutAB.java converts its input with (channels-last
memory format, which DJL cannot ask for): /usr/bin/python3 bench/ab/make_channels_last.py [OUT]
(default /tmp/channels-last.pt). TorchScript compiles from source, so this is a file, not -c."""
import sys

import torch


class ChannelsLast(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last)


out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/channels-last.pt"
torch.jit.script(ChannelsLast()).save(out)
print("wrote", out)
