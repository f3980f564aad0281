"""The design's 4-level U-Net: L in, logits over the Q ab classes out, at the input's resolution.

Encoder block: 3x3 conv (stride 1) then 4x4 conv (stride 2), each followed by the activation and batch
norm (the design's order, after Wang et al. 2022). Channels 1 -> w -> 2w -> 4w -> 8w at 1/2 .. 1/16 of
the input (w = 64 in the design). The decoder mirrors it with 4x4 transposed convolutions, each input the
previous output concatenated with the encoder's skip; the last one gives the Q logits at full size.
Input sides must be multiples of 16. An ablation, off by default: global context at the bottleneck
(Iizuka et al. 2016), the mean of the deepest features through a linear layer and the activation,
added back at every position, so each pixel's colour can depend on the whole scene.
"""
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.1),
               "silu": nn.SiLU}


@dataclass
class UNetConfig:
    n_classes: int = 104
    width: int = 64
    activation: str = "sigmoid"
    global_context: bool = False


def conv_unit(conv: nn.Module, channels: int, activation: str) -> nn.Sequential:
    return nn.Sequential(conv, ACTIVATIONS[activation](), nn.BatchNorm2d(channels))


class UNet(nn.Module):
    def __init__(self, config: UNetConfig):
        super().__init__()
        self.config = config
        w, act = config.width, config.activation
        if act not in ACTIVATIONS:
            raise ValueError(f"unknown activation {act!r}; choose from {sorted(ACTIVATIONS)}")
        chans = [1, w, 2 * w, 4 * w, 8 * w]
        self.down = nn.ModuleList(
            nn.Sequential(
                conv_unit(nn.Conv2d(cin, cout, 3, stride=1, padding=1), cout, act),
                conv_unit(nn.Conv2d(cout, cout, 4, stride=2, padding=1), cout, act),
            )
            for cin, cout in zip(chans[:-1], chans[1:])
        )
        # 8w -> 4w; then (4w + 4w) -> 2w; (2w + 2w) -> w; (w + w) -> Q logits
        self.up = nn.ModuleList([
            conv_unit(nn.ConvTranspose2d(8 * w, 4 * w, 4, stride=2, padding=1), 4 * w, act),
            conv_unit(nn.ConvTranspose2d(8 * w, 2 * w, 4, stride=2, padding=1), 2 * w, act),
            conv_unit(nn.ConvTranspose2d(4 * w, w, 4, stride=2, padding=1), w, act),
        ])
        self.head = nn.ConvTranspose2d(2 * w, config.n_classes, 4, stride=2, padding=1)
        if config.global_context:
            self.context = nn.Sequential(nn.Linear(8 * w, 8 * w), ACTIVATIONS[act]())

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        """L (N, 1, H, W), normalised to about [-1, 1] -> logits (N, Q, H, W)."""
        if L.shape[-1] % 16 or L.shape[-2] % 16:
            raise ValueError(f"input sides must be multiples of 16, got {tuple(L.shape[-2:])}")
        skips = []
        x = L
        for block in self.down:
            x = block(x)
            skips.append(x)
        skips.pop()  # the deepest output is x itself
        if self.config.global_context:
            x = x + self.context(x.mean(dim=(2, 3)))[:, :, None, None]
        for block in self.up:
            x = torch.cat([block(x), skips.pop()], dim=1)
        return self.head(x)

    def start_context_near_zero(self) -> None:
        """Scale the context branch down to 1 % of its random start, so that a network trained without it
        starts from what it computed (the branch adds about nothing), yet gets gradients (at exactly zero
        the ReLU would pass none)."""
        with torch.no_grad():
            linear = self.context[0]
            linear.weight.mul_(0.01)
            linear.bias.zero_()

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def config_dict(self) -> dict:
        """The card's architecture; the ablation's switch only where it is on (the design's cards stay
        as they were)."""
        config = asdict(self.config)
        if not config["global_context"]:
            del config["global_context"]
        return config
