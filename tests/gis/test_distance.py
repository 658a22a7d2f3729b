"""Centroids and distances for the optimiser."""

import numpy as np
import pytest
from shapely.geometry import box

from gis.crs import local_projection
from gis.distance import (
    centroids_lonlat,
    distances_m,
    nearest,
    pairwise_distances_m,
    project_points,
    projection_for_points,
)

PROJECTION = local_projection(121.47, 31.23)


def test_centroids_of_lonlat_polygons() -> None:
    squares = [
        PROJECTION.inverse(box(351_000 + 100 * i, 3_456_000, 351_010 + 100 * i, 3_456_010)) for i in range(3)
    ]
    centres = centroids_lonlat(squares)
    assert centres.shape == (3, 2)
    xy = project_points(centres, PROJECTION)
    assert xy[:, 0] == pytest.approx([351_005, 351_105, 351_205], abs=1e-3)
    assert centroids_lonlat([]).shape == (0, 2)


def test_pairwise_distances_are_symmetric_metres() -> None:
    lonlat = np.array([[121.47, 31.23], [121.48, 31.23], [121.47, 31.24]])
    xy = project_points(lonlat)
    d = pairwise_distances_m(xy)
    assert d.shape == (3, 3)
    assert np.allclose(d, d.T)
    assert np.allclose(np.diag(d), 0.0)
    assert d[0, 1] == pytest.approx(951, rel=0.01)  # 0.01° of longitude at 31.23° N
    assert d[0, 2] == pytest.approx(1109, rel=0.01)  # 0.01° of latitude
    assert projection_for_points(lonlat).crs.to_epsg() == 32651


def test_nearest_target_for_each_point() -> None:
    index, dist = nearest([[0, 0], [10, 10]], [[9, 9], [1, 0], [50, 50]])
    assert index.tolist() == [1, 0]
    assert dist == pytest.approx([1.0, np.sqrt(2)])
    assert distances_m([[0, 0]], [[3, 4]])[0, 0] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="no target points"):
        nearest([[0, 0]], np.empty((0, 2)))
    with pytest.raises(ValueError, match="no points"):
        projection_for_points(np.empty((0, 2)))
