"""Over- or under-fitting? Each model's loss on training photos against validation photos.

The two sets differ in how colourful they are, so raw losses are not comparable between them. What is
compared is the gain of the model over the class prior (the same distribution predicted at every
pixel): if the model gains as much on val as on training photos, it has not memorised its training set,
and more capacity or more training, rather than more data, is what it lacks. Losses are the training
loss (cross-entropy with the model's rebalancing, hard targets) on images as training validates on
(256 px).

    python scripts/research/fit_gap.py --data ../shared/photos --model natural --model balanced --model vivid
"""
import argparse
import random

import torch

from colorizer.training.config import TrainConfig
from colorizer.training.data import load_photos, validation_set
from colorizer.training.loss import rebalanced_cross_entropy
from colorizer.weights import load_model


@torch.inference_mode()
def mean_losses(model, items, class_weights, log_prior) -> tuple:
    """(model loss, prior loss) averaged over the images."""
    model.eval()
    ours, prior = [], []
    for L, _ab, target in items:
        ours.append(rebalanced_cross_entropy(model(L[None]), target[None], class_weights).item())
        flat = log_prior[None, :, None, None].expand(1, -1, *target.shape)
        prior.append(rebalanced_cross_entropy(flat, target[None], class_weights).item())
    return sum(ours) / len(ours), sum(prior) / len(prior)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/photos", help="folder with train/ and val/")
    p.add_argument("--model", action="append", required=True, help="shipped model name or .safetensors path")
    p.add_argument("--train-photos", type=int, default=60, help="random training photos to score")
    p.add_argument("--side", type=int, default=TrainConfig.val_side, help="longer side of the scored images")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    train = load_photos(f"{a.data}/train", TrainConfig.photo_side)  # as training loads them
    random.Random(a.seed).shuffle(train)
    sets = {f"train ({a.train_photos})": train[:a.train_photos]}
    val = load_photos(f"{a.data}/val", TrainConfig.photo_side)
    sets[f"val ({len(val)})"] = val
    print("| model | photos | model loss | prior loss | gain over prior |")
    print("| --- | --- | --- | --- | --- |")
    scored = {}  # (classes, set) -> images with targets: models that share their classes share these
    for name in a.model:
        model, bins, card = load_model(name)
        class_weights = torch.from_numpy(bins.weights(card.get("lambda", 1.0))).float()
        log_prior = torch.from_numpy(bins.prior).float().log()
        for label, photos in sets.items():
            key = (bins.cells.tobytes(), label)
            if key not in scored:
                scored[key] = validation_set(photos, bins, a.side)
            ours, prior = mean_losses(model, scored[key], class_weights, log_prior)
            print(f"| {name} | {label} | {ours:.3f} | {prior:.3f} | {prior - ours:.3f} |", flush=True)


if __name__ == "__main__":
    main()
