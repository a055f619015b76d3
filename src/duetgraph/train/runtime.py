"""How the training loop runs, not what it learns: bf16 autocast and torch.compile.

Both are off by default; bench/bench_ddp.py measures what they give (on 2 CPU cores: bf16
0.88-1.36x, compile 1.12-1.4x after minutes of compiling). Kept out of the run config and the
checkpoints, so a run may be resumed with other runtime options.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from duetgraph.errors import InputError

PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class RuntimeOptions:
    """How the loop runs, not what it learns (kept out of the run config and checkpoints).

    Args:
        precision: "fp32", or "bf16" for bfloat16 autocast of the forward passes (losses stay
            float32); CPU or GPU.
        compile: `torch.compile` the encoder and decoder (in place; state dicts unchanged).
    """

    precision: str = "fp32"
    compile: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise InputError(
                f"precision {self.precision!r} is unknown; use one of {', '.join(PRECISIONS)}."
            )

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        """The forward-pass context: bf16 autocast, or nothing."""
        if self.precision == "bf16":
            return torch.autocast(device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()


def compile_model(model: nn.Module) -> nn.Module:
    """Compile the encoder and decoder of an NRIModel in place (`nn.Module.compile`).

    The Gumbel sampling between them stays eager (it takes a torch.Generator). Shapes are
    compiled as dynamic from the start: an epoch's last, smaller batch would otherwise compile
    the whole model a second time (on the full body each compile costs 1-2 minutes of CPU).
    """
    for name in ("encoder", "decoder"):
        part = getattr(model, name, None)
        if isinstance(part, nn.Module):
            part.compile(dynamic=True)
    return model
