"""Shown: what a picture in the window shows, or what was last asked of the worker for it. One frozen type
for both, so that they compare as they should, and whatever changes the colours is part of each."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Shown:
    """A photo (its key in the list) through a model at a temperature, with colour hints.

    `part` tells the pictures of that apart where it matters:
    - None: the large view's picture (app.previews' `shown`, app.photos' previews);
    - (side, with the "before" image): a preview of the whole photo asked for;
    - (box, side), the region of app.compare: a zoomed-in detail asked for;
    - (x, y): the point of the hint palette's colours (its `hints`: the photo's other hints);
    - (side, the photo's hints left out): a panel of "Compare models".
    """

    key: int
    model_id: str
    temperature: float
    hints: tuple = ()  # colorizer.hints.Hint, () for the automatic colours
    part: tuple = None
