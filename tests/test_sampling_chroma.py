"""scripts/sampling_chroma.py: a gray photo's pixels count as gray, a saturated one's as colourful, and
the chroma bias shifts a mixed folder's draw towards its colourful photo."""
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from colorizer.data import load_photos, mixed_cell_counts, sampling_weights

spec = importlib.util.spec_from_file_location("sampling_chroma",
                                              Path(__file__).parents[1] / "scripts" / "sampling_chroma.py")
sampling_chroma = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sampling_chroma)


def test_gray_and_colourful_photos(tmp_path):
    Image.new("RGB", (64, 48), (120, 120, 120)).save(tmp_path / "gray.png")
    Image.new("RGB", (64, 48), (200, 30, 30)).save(tmp_path / "red.png")
    photos = load_photos([tmp_path], 64, "")
    names = [Path(p).name for p in photos.names]
    one = {n: np.eye(len(names))[names.index(n)] for n in names}
    assert sampling_chroma.chroma_shares(mixed_cell_counts(photos, one["gray.png"])) == (100.0, 0.0)
    assert sampling_chroma.chroma_shares(mixed_cell_counts(photos, one["red.png"])) == (0.0, 100.0)
    even = sampling_chroma.chroma_shares(mixed_cell_counts(photos, sampling_weights(photos, [1.0])))
    biased = sampling_chroma.chroma_shares(mixed_cell_counts(photos, sampling_weights(photos, [1.0], 2.0)))
    assert np.allclose(even, (50.0, 50.0)) and biased[1] > 80
