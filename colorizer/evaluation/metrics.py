"""Colorization figures: PSNR, ab error and its CDF's area (plain and class-rebalanced), colourfulness."""
import numpy as np
from skimage.metrics import peak_signal_noise_ratio

from ..bins import N_CELLS, cell_of, count_cells

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


def colourfulness(rgb: np.ndarray, rows_per_band: int = 512) -> float:
    """Hasler & Suesstrunk (2003): sigma_rgyb + 0.3 mu_rgyb over opponent channels of sRGB 0..255.
    Means and variances come from sums accumulated over bands of rows: on a 12-megapixel photo the
    float64 opponent channels at once would take over 500 MB."""
    n, sums = 0, np.zeros(4)  # sum rg, sum yb, sum rg^2, sum yb^2
    for top in range(0, rgb.shape[0], rows_per_band):
        r, g, b = (rgb[top:top + rows_per_band, ..., i].astype(np.float64) for i in range(3))
        rg, yb = r - g, 0.5 * (r + g) - b
        sums += [rg.sum(), yb.sum(), (rg * rg).sum(), (yb * yb).sum()]
        n += rg.size
    mean_rg, mean_yb = sums[0] / n, sums[1] / n
    # |values| <= 255, so E[x^2] - E[x]^2 in float64 loses nothing that matters at this scale
    var_rg, var_yb = max(0.0, sums[2] / n - mean_rg ** 2), max(0.0, sums[3] / n - mean_yb ** 2)
    return float(np.hypot(np.sqrt(var_rg), np.sqrt(var_yb)) + 0.3 * np.hypot(mean_rg, mean_yb))


# --- Figures over a whole evaluation set ------------------------------------------------------------
# An evaluation set can hold 12-megapixel photos, so per-pixel errors are never kept: each image is
# reduced to a histogram of its errors per true ab cell. Errors are binned by ceil(error), so bin k holds
# errors in (k-1, k] and "error <= t" for an integer threshold t is exactly "bin <= t": the CDF at the
# AuC thresholds, and hence the AuC, come out exactly as `auc` computes them from the pixels.
N_ERROR_BINS = len(AUC_THRESHOLDS) + 1  # 0..150, and one bin for everything above 150
PSNR_CAP = 100.0  # dB: a pixel-identical image (e.g. a gray "truth" against the gray baseline) is not inf


def psnr_capped(rgb_pred: np.ndarray, rgb_true: np.ndarray, rows_per_band: int = 512) -> float:
    """psnr() of uint8 sRGB images, but at most PSNR_CAP, so that one identical image cannot make a mean
    over images infinite. The squared error is summed over bands of rows (in int64, exact): scikit-image
    would make float64 copies of both images, about 900 MB for a 12-megapixel photo."""
    sse = 0
    for top in range(0, rgb_true.shape[0], rows_per_band):
        d = rgb_pred[top:top + rows_per_band].astype(np.int64) - rgb_true[top:top + rows_per_band]
        sse += int((d * d).sum())
    if sse == 0:
        return PSNR_CAP
    return min(PSNR_CAP, float(10.0 * np.log10(255.0 ** 2 * rgb_true.size / sse)))


def error_histogram(ab_pred: np.ndarray, ab_true: np.ndarray, rows_per_band: int = 256) -> tuple:
    """-> (counts (N_CELLS, N_ERROR_BINS) int64 of pixels by true ab cell and ceil(ab error), sum of the
    errors). Computed in bands of rows to keep float64 intermediates small on large photos."""
    counts = np.zeros(N_CELLS * N_ERROR_BINS, dtype=np.int64)
    total = 0.0
    for top in range(0, ab_true.shape[0], rows_per_band):
        truth = ab_true[top:top + rows_per_band]
        e = ab_error(ab_pred[top:top + rows_per_band], truth)
        total += float(e.sum())
        k = np.minimum(np.ceil(e), N_ERROR_BINS - 1).astype(np.int64)
        counts += np.bincount((cell_of(truth) * N_ERROR_BINS + k).ravel(), minlength=counts.size)
    return counts.reshape(N_CELLS, N_ERROR_BINS), total


def auc_from_histogram(hist: np.ndarray, cell_weights: np.ndarray = None) -> float:
    """AuC (%) from an error histogram (N_CELLS, N_ERROR_BINS), pixels of cell c weighted by
    cell_weights[c] (default 1): the same number `auc` gives on the pixels themselves."""
    hist = np.asarray(hist, dtype=np.float64)
    by_error = (hist if cell_weights is None else hist * np.asarray(cell_weights)[:, None]).sum(axis=0)
    if by_error.sum() <= 0:
        return float("nan")
    cdf = np.cumsum(by_error)[:len(AUC_THRESHOLDS)] / by_error.sum()
    return float(100.0 * cdf.mean())


def cell_rebalancing_weights(cell_freq: np.ndarray) -> np.ndarray:
    """Per-cell weights 1 / p (0 where p = 0) from cell frequencies (N_CELLS,): Zhang's rebalanced AuC,
    in which every occupied colour cell of the truth counts as much as any other."""
    p = np.asarray(cell_freq, dtype=np.float64)
    p = p / p.sum()
    w = np.zeros_like(p)
    w[p > 0] = 1.0 / p[p > 0]
    return w


def colourfulness_ratio(rgb_pred_colourfulness, rgb_true_colourfulness) -> float:
    """mean colourfulness of the outputs / mean colourfulness of the truths (1 = as colourful)."""
    truth = float(np.mean(rgb_true_colourfulness))
    return float(np.mean(rgb_pred_colourfulness)) / truth if truth > 0 else float("nan")


# Hue agreement: the visual check ("sky and water blue, foliage green where the truth has them")
# as numbers. Written by hand: no library measures it. A truth pixel is clearly green at a* <= -8,
# clearly blue at b* <= -8; the output agrees when its a* (b*) is <= -3 and has the opposite hue (red,
# yellow) when >= +3. Olive or gray outputs are neither.
HUE_TRUTH, HUE_OUTPUT = 8.0, 3.0
HUES = (("green", "red", 1), ("blue", "yellow", 4))  # hue, its opposite, its offset in hue_counts
HUE_KEYS = tuple(f"{hue}_as_{shown}" for hue, opposite, _ in HUES for shown in (hue, opposite))
HUE_MIN_SHARE = 0.01  # a photo counts for a hue only where at least 1 % of its pixels have it


def hue_counts(ab_pred: np.ndarray, ab_true: np.ndarray, rows_per_band: int = 256) -> np.ndarray:
    """-> int64 [pixels, clearly green truth pixels, of those green / red in the output, clearly blue
    truth pixels, of those blue / yellow in the output]."""
    counts = np.zeros(7, dtype=np.int64)
    for top in range(0, ab_true.shape[0], rows_per_band):
        truth, pred = ab_true[top:top + rows_per_band], ab_pred[top:top + rows_per_band]
        counts[0] += truth.shape[0] * truth.shape[1]
        for channel, base in ((0, 1), (1, 4)):  # a* for green, b* for blue
            has = truth[..., channel] <= -HUE_TRUTH
            out = pred[..., channel][has]
            counts[base:base + 3] += [has.sum(), (out <= -HUE_OUTPUT).sum(), (out >= HUE_OUTPUT).sum()]
    return counts


def photos_with_hue(counts: np.ndarray, base: int) -> np.ndarray:
    """Per-photo hue_counts (n_photos, 7) -> which photos count for the hue at offset `base` (1 green,
    4 blue): those with at least HUE_MIN_SHARE of their pixels clearly of it."""
    counts = np.asarray(counts).reshape(-1, 7)
    return (counts[:, base] >= HUE_MIN_SHARE * counts[:, 0]) & (counts[:, base] > 0)


def hue_rates(counts: np.ndarray) -> dict:
    """Per-photo hue_counts (n_photos, 7) -> {HUE_KEYS: % of the truth's green (blue) pixels shown green
    (blue) or red (yellow)}, a mean over the photos with at least HUE_MIN_SHARE of that hue (nan if none)."""
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, 7)
    out = {}
    for hue, opposite, base in HUES:
        rows = counts[photos_with_hue(counts, base)]
        for shown, k in ((hue, 1), (opposite, 2)):
            out[f"{hue}_as_{shown}"] = (float(np.mean(100.0 * rows[:, base + k] / rows[:, base])) if len(rows)
                                        else float("nan"))
    return out


# Hue agreement by angle (scripts/hue_angle.py), closer to how a person judges colour than the green /
# blue counts above: of the truth's clearly coloured pixels (chroma >= 15), the share shown within 30
# degrees of their hue, and the share shown more than 90 degrees off (both only where the output has
# chroma >= 5: a grey answer is neither).
HUE_ANGLE_TRUTH_CHROMA, HUE_ANGLE_OUTPUT_CHROMA = 15.0, 5.0
HUE_ANGLE_RIGHT, HUE_ANGLE_WRONG = np.pi / 6, np.pi / 2


def hue_agreement(ab_pred: np.ndarray, ab_true: np.ndarray):
    """-> (% right, % wrong) over the clearly coloured truth pixels, or None where they are under
    HUE_MIN_SHARE of the photo."""
    coloured = np.hypot(ab_true[..., 0], ab_true[..., 1]) >= HUE_ANGLE_TRUTH_CHROMA
    if coloured.sum() < HUE_MIN_SHARE * coloured.size:
        return None
    pred, true = ab_pred[coloured], ab_true[coloured]
    off = np.abs(np.angle(np.exp(1j * (np.arctan2(pred[:, 1], pred[:, 0]) - np.arctan2(true[:, 1], true[:, 0])))))
    shown = np.hypot(pred[:, 0], pred[:, 1]) >= HUE_ANGLE_OUTPUT_CHROMA
    return 100.0 * (shown & (off <= HUE_ANGLE_RIGHT)).mean(), 100.0 * (shown & (off > HUE_ANGLE_WRONG)).mean()


# The warm wash (issue 33): one warm decision over a whole photo, people and streets orange. Of the
# truth's near-neutral pixels (chroma < 8: grey stone, asphalt, dark coats, overcast sky), the share the
# output paints warm (b* > 10).
WARM_TRUTH_CHROMA, WARM_OUTPUT_B = 8.0, 10.0


def warm_cast(ab_pred: np.ndarray, ab_true: np.ndarray):
    """-> % of the truth's near-neutral pixels shown with b* > WARM_OUTPUT_B, or None where they are under
    HUE_MIN_SHARE of the photo."""
    neutral = np.hypot(ab_true[..., 0], ab_true[..., 1]) < WARM_TRUTH_CHROMA
    if neutral.sum() < HUE_MIN_SHARE * neutral.size:
        return None
    return 100.0 * float((ab_pred[..., 1][neutral] > WARM_OUTPUT_B).mean())
