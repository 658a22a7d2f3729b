"""Stored building shade of registered surfaces, as the yield engine takes it (issue #19).

The survey layer (:mod:`pvhub.survey.surface_shading`) casts each surface's horizons from the stock and
writes one :class:`~pvhub.estimates.models.SurfaceShade` row per surface; :func:`shade_profile` turns the
rows of the surfaces an estimate covers into one :class:`pvhub.yieldengine.ShadeProfile`.

Storage. A horizon is (points, A) elevations over A = 360 / step true-azimuth bins. It is stored as
uint8 half degrees (value = round(elevation × 2)), base64: 180 bytes a point at 2°, and the rounding
(at most 0.25°) is well inside the 0.5° to which :func:`gis.shading.horizons` bisects. Elevations
below 0 (the ground side of a tilted plane) are kept as 0: the sun is never below the horizontal when
the engine asks, and a point's sky view is stored on its own, computed from the unrounded horizon.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence

import numpy as np
from sqlmodel import Session, col, select

from pvhub.estimates.models import SurfaceShade
from pvhub.register.models import Surface
from pvhub.yieldengine import ShadeProfile

#: The azimuth step the engine's profile uses: the contract's default (``gis.shading.AZIMUTH_STEP_DEG``).
PROFILE_STEP_DEG = 2.0


def bins_for(step_deg: float) -> int:
    """A = round(360 / step): the number of azimuth bins of a horizon at ``step_deg``."""
    if not np.isfinite(step_deg) or not 0 < step_deg <= 360:
        raise ValueError(f"the azimuth step must be within (0, 360] degrees, got {step_deg!r}")
    return round(360.0 / step_deg)


def pack_horizon(arr: np.ndarray) -> str:
    """A (P, A) elevation array (degrees) as base64 text of uint8 half degrees, row by row.

    Elevations are clipped to 0–90° (NaN counts as 0, nothing blocking) before rounding.
    """
    values = np.asarray(arr, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"a horizon is a (points, bins) array, got shape {values.shape}")
    half_degrees = np.rint(np.clip(np.nan_to_num(values, nan=0.0), 0.0, 90.0) * 2.0).astype(np.uint8)
    return base64.b64encode(np.ascontiguousarray(half_degrees).tobytes()).decode("ascii")


def unpack_horizon(text: str, points: int, step_deg: float) -> np.ndarray:
    """The float32 (points, A) elevations (degrees) :func:`pack_horizon` stored.

    Raises ValueError naming what does not fit (not base64, or not points × A bytes).
    """
    bins = bins_for(step_deg)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"the stored horizon is not base64 text: {exc}") from None
    if points < 1 or len(raw) != points * bins:
        raise ValueError(
            f"the stored horizon holds {len(raw)} values, not {points} points × {bins} bins of {step_deg:g}°"
        )
    return np.frombuffer(raw, dtype=np.uint8).reshape(points, bins).astype(np.float32) / np.float32(2.0)


def row_horizon(row: SurfaceShade, step_deg: float = PROFILE_STEP_DEG) -> np.ndarray:
    """A row's horizon at ``step_deg`` (P, A): the nearest stored bin when the row has another step."""
    stored = unpack_horizon(row.horizon, row.points, row.step_deg)
    if np.isclose(row.step_deg, step_deg):
        return stored
    centres = np.arange(bins_for(step_deg)) * step_deg
    nearest = np.rint(centres / row.step_deg).astype(int) % stored.shape[1]
    return stored[:, nearest]


def shade_rows(session: Session, surface_ids: Sequence[int]) -> dict[int, SurfaceShade]:
    """The SurfaceShade row of each of these surfaces that has one, by surface id."""
    ids = list(surface_ids)
    if not ids:
        return {}
    rows = session.exec(select(SurfaceShade).where(col(SurfaceShade.surface_id).in_(ids))).all()
    return {row.surface_id: row for row in rows}


def shade_profile(
    session: Session, surfaces: Sequence[Surface], rows: Mapping[int, SurfaceShade] | None = None
) -> tuple[ShadeProfile | None, dict[int, SurfaceShade]]:
    """The engine's building shade for ``surfaces`` (in their order) and the rows it was made from.

    Only surfaces whose shading is not typed (``shading_manual`` false) and that have a SurfaceShade
    row take part: a typed shading loss overrides the computed shade, and a surface without a row has
    no building shade (no geometry, or not computed yet). ``surface`` in the profile indexes
    ``surfaces``. None (and no rows) when no surface takes part. ``rows`` (by surface id) replace
    the stored ones: shade just computed and not written yet (the estimate job writes it last).
    """
    computed = [s.id for s in surfaces if not s.shading_manual and s.id is not None]
    fresh = dict(rows or {})
    found = shade_rows(session, [i for i in computed if i not in fresh])
    found.update({i: fresh[i] for i in computed if i in fresh})
    rows = found
    if not rows:
        return None, {}
    horizons: list[np.ndarray] = []
    index: list[np.ndarray] = []
    sky: list[np.ndarray] = []
    for position, surface in enumerate(surfaces):
        row = rows.get(surface.id) if surface.id is not None and not surface.shading_manual else None
        if row is None:
            continue
        horizon = row_horizon(row)
        horizons.append(horizon)
        index.append(np.full(horizon.shape[0], position, dtype=np.int64))
        sky.append(_sky_view(row))
    profile = ShadeProfile(
        horizon=np.concatenate(horizons).astype(np.float32),
        surface=np.concatenate(index),
        sky_view=np.concatenate(sky),
        step_deg=PROFILE_STEP_DEG,
    )
    return profile, rows


def _sky_view(row: SurfaceShade) -> np.ndarray:
    """The row's per-point sky-view factors, one per point (a short or broken list: ValueError)."""
    values = np.asarray(row.sky_view, dtype=float)
    if values.shape != (row.points,) or not np.all(np.isfinite(values)):
        raise ValueError(
            f"surface {row.surface_id}'s stored shade has {values.size} sky-view factors "
            f"for {row.points} points"
        )
    return np.clip(values, 0.0, 1.0)
