"""A building's candidates and skipped parts grouped by face, for its page.

A tower's facade is cut into a band per storey, so an 80-storey tower has 80 candidates per face and,
where a face falls under a threshold, 80 skipped lines that differ only in their numbers. Its page
shows one row per face (band range, summed areas, kWp and energy, the kWh/kWp range; the bands on
demand) and one line per face and reason, with the numbers that differ given as ranges. The grouping
is here, not in the template, so that the rule is tested; putting the reason into words is the pages'
(the reason's ``code`` is its catalogue key, see :class:`gis.stock.Skipped`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pvhub.survey.models import SurveyCandidate

#: Parameters of a reason that name the band rather than describe the problem: a group shows the band
#: range once, in front of the reason.
BAND_PARAM = "band"


@dataclass
class FaceGroup:
    """The candidates of one face of one object (a roof plane, or a wall's storey bands)."""

    object: str | None
    faces: tuple[int, ...]
    kind: str
    tilt_deg: float
    azimuth_deg: float
    candidates: list[SurveyCandidate] = field(default_factory=list)

    @property
    def storeys(self) -> tuple[int, int] | None:
        found = [c.storey for c in self.candidates if c.storey is not None]
        return (min(found), max(found)) if found else None

    @property
    def bottom_m(self) -> float:
        return min(c.band_bottom_m if c.band_bottom_m is not None else c.z_m for c in self.candidates)

    @property
    def top_m(self) -> float:
        return max(c.band_top_m if c.band_top_m is not None else c.z_m for c in self.candidates)

    @property
    def gross_area_m2(self) -> float:
        return sum(c.gross_area_m2 for c in self.candidates)

    @property
    def usable_area_m2(self) -> float:
        return sum(c.usable_area_m2 for c in self.candidates)

    @property
    def kwp(self) -> float:
        return sum(c.kwp for c in self.candidates)

    @property
    def annual_mwh(self) -> float:
        return sum(c.annual_kwh for c in self.candidates) / 1000.0

    @property
    def kwh_per_kwp(self) -> tuple[float, float]:
        values = [c.kwh_per_kwp for c in self.candidates]
        return min(values), max(values)


def group_candidates(candidates: Iterable[SurveyCandidate]) -> list[FaceGroup]:
    """One group per (object, faces, kind), in the order the faces first appear; bands bottom up."""
    groups: dict[tuple[Any, ...], FaceGroup] = {}
    for c in candidates:
        source = c.source or {}
        faces = tuple(int(f) for f in source.get("faces") or ())
        key = (source.get("object"), faces, c.kind)
        group = groups.get(key)
        if group is None:
            group = groups[key] = FaceGroup(source.get("object"), faces, c.kind, c.tilt_deg, c.azimuth_deg)
        group.candidates.append(c)
    for group in groups.values():
        group.candidates.sort(key=lambda c: (c.z_m, c.key))
    return list(groups.values())


@dataclass
class SkippedGroup:
    """Skipped parts of one face (or one object) for one reason.

    ``params`` holds the values all of them share; ``ranges`` the (lowest, highest) of the numbers
    that differ; ``bands`` the band numbers' range when the parts are bands; ``reason`` the English
    reason of the first (what a free-text reason, without a ``code``, is shown as)."""

    object: str | None
    feature: int | None
    faces: tuple[int, ...]
    code: str
    reason: str
    count: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    bands: tuple[int, int] | None = None


def group_skipped(skipped: Sequence[dict[str, Any]]) -> list[SkippedGroup]:
    """One group per (object, feature, faces, reason code); a free-text reason groups only with the
    same text. A value that differs within a group becomes its range: numbers by value, text (a
    band's id) by its first and last."""
    members: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for item in skipped:
        source = item.get("source") or {}
        faces = tuple(int(f) for f in source.get("faces") or ())
        code = str(item.get("code") or "")
        text = "" if code else str(item.get("reason", ""))
        key = (source.get("object"), source.get("feature"), faces, code, text)
        members.setdefault(key, []).append(item)
    return [_skipped_group(key, items) for key, items in members.items()]


def _skipped_group(key: tuple[Any, ...], items: list[dict[str, Any]]) -> SkippedGroup:
    obj, feature, faces, code, _text = key
    group = SkippedGroup(obj, feature, faces, code, str(items[0].get("reason", "")), count=len(items))
    names: dict[str, list[Any]] = {}
    for item in items:
        for name, value in (item.get("params") or {}).items():
            names.setdefault(name, []).append(value)
    for name, values in names.items():
        distinct = {repr(v) for v in values}
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if name == BAND_PARAM and numbers and all(v is not None for v in values):
            group.bands = (int(min(values)), int(max(values)))
        if len(distinct) == 1 and len(values) == len(items):
            group.params[name] = values[0]
        elif numbers:
            group.ranges[name] = (min(values), max(values))
        else:
            group.ranges[name] = (values[0], values[-1])
    return group
