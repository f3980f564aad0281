"""Validation during training: the loss and the colour figures of whole validation photos at the
inference size, on the master process, every val_every steps."""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..bins import ABBins
from ..color import lab_to_rgb
from ..decode import annealed_mean
from .config import TrainConfig
from .data import load_photos, validation_set
from .loss import rebalanced_cross_entropy, targets_at
from .start import set_train_mode


@torch.inference_mode()
def validate(model, items, bins, class_weights, cfg) -> dict:
    """The val_* figures of one validation set (validation_set's items); leaves the model in training mode."""
    # imported here: skimage.metrics pulls in scipy.stats, a second of start-up for every process
    from ..evaluation.metrics import ab_error, auc, colourfulness, colourfulness_ratio, psnr, rebalancing_pixel_weights
    model.eval()
    centres = torch.from_numpy(bins.centres)
    lookup = torch.from_numpy(bins.lookup)
    losses, psnrs, errs, truths, colour_pred, colour_true = [], [], [], [], [], []
    for L, ab, target in items:
        logits = model(L[None])
        _, small_target = targets_at(logits, ab[None], target[None], lookup)
        losses.append(rebalanced_cross_entropy(logits, small_target, class_weights).item())
        pred_ab = annealed_mean(logits, centres, cfg.val_temperature)
        pred_ab = F.interpolate(pred_ab, size=L.shape[-2:], mode="bilinear", align_corners=False)
        pred_ab = pred_ab[0].permute(1, 2, 0).numpy()
        true_ab = ab.permute(1, 2, 0).numpy()
        Lp = ((L[0].numpy() + 1) * 50)[..., None]
        rgb_pred, rgb_true = (lab_to_rgb(np.concatenate([Lp, x], 2)) for x in (pred_ab, true_ab))
        psnrs.append(psnr(rgb_pred, rgb_true))
        colour_pred.append(colourfulness(rgb_pred))
        colour_true.append(colourfulness(rgb_true))
        errs.append(ab_error(pred_ab, true_ab).ravel())
        truths.append(true_ab.reshape(-1, 2))
    set_train_mode(model)
    e, t = np.concatenate(errs), np.concatenate(truths)
    # colourfulness beside the error figures: a longer run on greyer photos can gain PSNR while its colour
    # drains (the design U-Net's second cosine, docs/history/models-unet.md), which the error figures alone hide
    return {"val_loss": float(np.mean(losses)), "val_psnr": float(np.mean(psnrs)),
            "val_ab_err": float(e.mean()), "val_auc": auc(e), "val_auc_rebal": auc(e, rebalancing_pixel_weights(t)),
            "val_colourfulness": colourfulness_ratio(colour_pred, colour_true)}


def validation_sets(cfg: TrainConfig, bins: ABBins, multiple: int) -> dict:
    """{name: items} of the validation photos: one set of every --val folder, or with val_each one per
    folder, named by the folder (the first one's figures go to the val_* columns)."""
    folders = [cfg.val] if isinstance(cfg.val, str) else list(cfg.val)
    groups = [(Path(f).name, [f]) for f in folders] if cfg.val_each else [("val", folders)]
    return {name: validation_set(load_photos(dirs, cfg.photo_side), bins, cfg.val_side, multiple)
            for name, dirs in groups}
