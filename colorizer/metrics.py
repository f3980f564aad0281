"""Colorization figures: PSNR, ab error and its CDF's area (plain and class-rebalanced), colourfulness."""
import numpy as np
from skimage.metrics import peak_signal_noise_ratio

from .bins import N_CELLS, cell_of, count_cells

AUC_THRESHOLDS = np.arange(0, 151)  # Lab units, as in Zhang et al. (2016)


def psnr(rgb_pred: np.ndarray, rgb_true: np.ndarray) -> float:
    """PSNR in dB of uint8 sRGB images."""
    return float(peak_signal_noise_ratio(rgb_true, rgb_pred, data_range=255))


def ab_error(ab_pred: np.ndarray, ab_true: np.ndarray) -> np.ndarray:
    """Per-pixel Euclidean ab distance (Lab units): the design report's colour distance."""
    return np.sqrt(((ab_pred.astype(np.float64) - ab_true) ** 2).sum(-1))


def auc(errors: np.ndarray, weights: np.ndarray = None) -> float:
    """Area under the CDF of ab errors over thresholds 0..150, as a percentage (100 = every pixel exact)."""
    e = errors.ravel()
    w = np.ones_like(e) if weights is None else weights.ravel().astype(np.float64)
    order = np.argsort(e)
    cdf_at = np.searchsorted(e[order], AUC_THRESHOLDS, side="right")
    cum_w = np.concatenate([[0.0], np.cumsum(w[order])])
    return float(100.0 * (cum_w[cdf_at] / cum_w[-1]).mean())


def rebalancing_pixel_weights(ab_true: np.ndarray, counts: np.ndarray = None) -> np.ndarray:
    """Weights inversely proportional to how common each pixel's true ab cell is (Zhang's rebalanced
    AuC), from `counts` over the 15x15 grid (default: the pixels given). Mean weight 1."""
    counts = count_cells(ab_true) if counts is None else counts
    p = counts / counts.sum()
    inv = np.zeros(N_CELLS)
    inv[p > 0] = 1.0 / p[p > 0]
    w = inv[cell_of(ab_true)]
    return w / w.mean()


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003): sigma_rgyb + 0.3 mu_rgyb over opponent channels of sRGB 0..255."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
