"""ab classes: grid cells, the mapping of any ab value to a class, rebalancing weights."""
import numpy as np
import pytest

from colorizer.bins import AB_MAX, AB_MIN, CELL, GRID, N_CELLS, ABBins, cell_centres, cell_of, count_cells, \
    rebalance_weights
from colorizer.color import rgb_to_lab
from colorizer.training.data import ab_statistics
from synthetic import landscape


def sparse_bins(seed=0, n=20) -> ABBins:
    """Bins with n scattered occupied cells and uneven counts."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(N_CELLS, np.int64)
    counts[rng.choice(N_CELLS, n, replace=False)] = rng.integers(1, 1000, n)
    return ABBins.from_counts(counts)


def test_grid_geometry():
    c = cell_centres()
    assert c.shape == (N_CELLS, 2) and GRID == 15 and CELL == pytest.approx(17.0)
    assert c.min() == pytest.approx(AB_MIN + CELL / 2) and c.max() == pytest.approx(AB_MAX - CELL / 2)
    assert np.array_equal(cell_of(c), np.arange(N_CELLS))  # every centre lies in its own cell


def test_cell_of_edges_and_out_of_range_values():
    assert cell_of(np.array([AB_MIN, AB_MIN])) == 0
    assert cell_of(np.array([AB_MAX, AB_MAX])) == N_CELLS - 1  # the upper edge belongs to the last cell
    assert cell_of(np.array([-1000.0, 1000.0])) == GRID - 1  # a clipped to row 0, b to the last column
    assert cell_of(np.array([1000.0, -1000.0])) == (GRID - 1) * GRID
    # a cell boundary goes to the upper cell
    assert cell_of(np.array([AB_MIN + CELL, AB_MIN])) == GRID
    assert cell_of(np.array([AB_MIN + CELL - 1e-3, AB_MIN])) == 0


def test_centres_map_to_their_own_class():
    bins = sparse_bins()
    assert np.array_equal(bins.encode(bins.centres), np.arange(bins.Q))


def test_unoccupied_cells_map_to_the_nearest_occupied_cell():
    bins = sparse_bins(seed=3)
    all_centres = cell_centres().astype(np.float64)
    d = ((all_centres[:, None] - bins.centres[None].astype(np.float64)) ** 2).sum(-1)
    got = bins.encode(all_centres)
    # the class found is at the smallest distance (ties may go either way)
    assert np.allclose(d[np.arange(N_CELLS), got], d.min(axis=1))
    occupied = np.isin(np.arange(N_CELLS), bins.cells)
    assert np.array_equal(bins.cells[got[occupied]], np.flatnonzero(occupied))


def test_any_ab_value_gets_a_class_of_its_cell():
    bins = sparse_bins(seed=5)
    rng = np.random.default_rng(0)
    ab = rng.uniform(-300, 300, (50, 40, 2))  # also far outside the gamut
    classes = bins.encode(ab)
    assert classes.shape == (50, 40) and classes.min() >= 0 and classes.max() < bins.Q
    assert np.array_equal(classes, bins.encode(cell_centres()[cell_of(ab)]))


def test_single_occupied_cell_takes_everything():
    counts = np.zeros(N_CELLS, np.int64)
    counts[112] = 5
    bins = ABBins.from_counts(counts)
    assert bins.Q == 1 and bins.encode(np.array([[-128.0, 127.0], [0.0, 0.0], [90.0, -90.0]])).tolist() == [0, 0, 0]


def test_training_photos_occupy_their_own_cells():
    photos = [landscape(40, 60, seed=s) for s in range(3)]
    bins = ab_statistics(photos)
    ab = np.concatenate([rgb_to_lab(p)[..., 1:].reshape(-1, 2) for p in photos])
    assert bins.prior.sum() == pytest.approx(1.0)
    assert np.allclose(bins.prior, count_cells(ab)[bins.cells] / len(ab))
    # every training pixel's class is its own cell: its centre is within half a cell diagonal
    assert np.array_equal(bins.cells[bins.encode(ab)], cell_of(ab))
    assert np.abs(bins.centres[bins.encode(ab)] - ab).max() <= CELL / 2 + 1e-4


def test_dict_round_trip_keeps_classes_and_centres():
    bins = sparse_bins(seed=7)
    d = bins.to_dict()
    assert np.allclose(np.array(d["centres"]), bins.centres)
    again = ABBins.from_dict(d)
    assert np.array_equal(again.cells, bins.cells) and np.allclose(again.prior, bins.prior)
    assert np.array_equal(again.lookup, bins.lookup)
    with pytest.raises(ValueError, match="ab grid"):
        ABBins.from_dict({**d, "grid": 10})


@pytest.fixture
def prior():
    return np.random.default_rng(2).dirichlet(np.full(30, 0.3))


def test_rebalancing_lambda_one_is_no_rebalancing(prior):
    assert np.allclose(rebalance_weights(prior, 1.0), 1.0)


def test_rebalancing_lambda_zero_is_inverse_frequency(prior):
    w = rebalance_weights(prior, 0.0)
    # w = c / p; sum(p * w) = 1 fixes c = 1 / Q
    assert np.allclose(w, 1.0 / (len(prior) * prior), rtol=1e-5)


def test_rebalancing_half_follows_the_formula(prior):
    w = rebalance_weights(prior, 0.5)
    raw = 1.0 / (0.5 * prior + 0.5 / len(prior))
    assert np.allclose(w, raw / (prior * raw).sum(), rtol=1e-5)
    # rare classes weigh more than common ones, but less than under full rebalancing
    order = np.argsort(prior)
    assert np.all(np.diff(w[order]) <= 1e-6)
    assert w.max() < rebalance_weights(prior, 0.0).max()


@pytest.mark.parametrize("lam", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_rebalancing_normalisation(prior, lam):
    assert (prior * rebalance_weights(prior, lam)).sum() == pytest.approx(1.0, abs=1e-5)
    # unnormalised counts give the same weights as the distribution
    assert np.allclose(rebalance_weights(prior * 1234, lam), rebalance_weights(prior, lam))


def test_bins_weights_use_their_prior():
    bins = sparse_bins(seed=9)
    assert np.allclose(bins.weights(0.3), rebalance_weights(bins.prior, 0.3))
