"""Which arithmetic a run trains in: bf16 autocast where the hardware has it natively, else fp32."""
from pathlib import Path

import torch


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 matrix products run natively here (AVX-512 BF16 / AMX on a CPU, Ampere+ GPUs); elsewhere
    they are emulated and slower than fp32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a private check: gone in some torch build, read the CPU's flags
        try:
            flags = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
        return " avx512_bf16" in flags or " amx_bf16" in flags


def autocast_dtype(precision: str, device: torch.device):
    """torch.bfloat16 for autocast, or None (fp32)."""
    if precision not in ("auto", "bf16", "fp32"):
        raise SystemExit(f"--precision {precision!r}: choose auto, bf16 or fp32")
    if precision == "fp32" or (precision == "auto" and not native_bf16(device)):
        return None
    return torch.bfloat16
