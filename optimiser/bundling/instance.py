"""Bundling instance: sites (metres, kWp) and a bundle's limits; JSON parsing and validation."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# a site's or bundle's value beyond any real PV project (CNY); also keeps the CP-SAT sums in int64 (in fen)
MAX_VALUE_CNY = 1e11


class InstanceError(ValueError):
    """The instance is malformed (missing field, wrong type, negative capacity, duplicate id, min > max)."""


@dataclass(frozen=True)
class Site:
    """One site: projected coordinates in metres, DC capacity in kWp."""

    id: str
    x: float
    y: float
    capacity_kw: float
    keep_with: str | None = None
    locked_bundle: str | None = None
    value: float = 0.0  # CNY: the site's NPV at the hurdle rate (optimiser/README.md, "Bankable bundles")
    group: str | None = None  # label that ``same_group_only`` keeps together (e.g. a business model)


@dataclass(frozen=True)
class BundlingInstance:
    """Sites and bundle limits; ``None`` means "no limit" (see optimiser/README.md)."""

    sites: tuple[Site, ...]
    min_capacity_kw: float = 0.0
    max_capacity_kw: float = math.inf
    bundle_count: int | None = None
    min_bundles: int | None = None
    max_bundles: int | None = None
    max_sites: int | None = None
    max_distance_m: float | None = None
    bundle_cost_m: float = 0.0
    require_all: bool = False
    min_value: float | None = None  # CNY: every bundle's summed site value is at least this
    same_group_only: bool = False  # every bundle's sites share one ``group`` (null is a group of its own)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def bundle_count_range(self) -> tuple[int, int]:
        """Allowed number of bundles as an inclusive ``(low, high)`` range."""
        if self.bundle_count is not None:
            return self.bundle_count, self.bundle_count
        low = self.min_bundles or 0
        high = self.max_bundles if self.max_bundles is not None else len(self.sites)
        return low, high


def validate(inst: BundlingInstance) -> None:
    """Raise :class:`InstanceError` naming the first problem found."""
    seen: set[str] = set()
    for site in inst.sites:
        if site.id in seen:
            raise InstanceError(f"duplicate site id {site.id!r}")
        seen.add(site.id)
        if not (math.isfinite(site.x) and math.isfinite(site.y)):
            raise InstanceError(f"site {site.id!r}: coordinates must be finite numbers")
        if not math.isfinite(site.capacity_kw) or site.capacity_kw < 0:
            raise InstanceError(f"site {site.id!r}: capacity_kw must be a finite number >= 0")
        if not (math.isfinite(site.value) and abs(site.value) <= MAX_VALUE_CNY):
            raise InstanceError(
                f"site {site.id!r}: value must be a finite number of CNY within ±{MAX_VALUE_CNY:g}"
            )
        if site.group is not None and not isinstance(site.group, str):
            raise InstanceError(f"site {site.id!r}: group must be a string or null")
    if inst.min_capacity_kw < 0:
        raise InstanceError("min_capacity_kw must be >= 0")
    if inst.min_capacity_kw > inst.max_capacity_kw:
        raise InstanceError(
            f"min_capacity_kw ({inst.min_capacity_kw}) is above max_capacity_kw ({inst.max_capacity_kw})"
        )
    for name in ("bundle_count", "min_bundles", "max_bundles", "max_sites"):
        value = getattr(inst, name)
        if value is not None and value < 0:
            raise InstanceError(f"{name} must be >= 0")
    if inst.max_sites == 0:
        raise InstanceError("max_sites must be >= 1")
    if inst.min_bundles is not None and inst.max_bundles is not None and inst.min_bundles > inst.max_bundles:
        raise InstanceError(f"min_bundles ({inst.min_bundles}) is above max_bundles ({inst.max_bundles})")
    if inst.max_distance_m is not None and not inst.max_distance_m >= 0:
        raise InstanceError("max_distance_m must be >= 0")
    if not (math.isfinite(inst.bundle_cost_m) and inst.bundle_cost_m >= 0):
        raise InstanceError("bundle_cost_m must be a finite number >= 0")
    mv = inst.min_value
    if mv is not None and not (math.isfinite(mv) and abs(mv) <= MAX_VALUE_CNY):
        raise InstanceError(f"min_value must be a finite number of CNY within ±{MAX_VALUE_CNY:g} or null")
    if not isinstance(inst.same_group_only, bool):
        raise InstanceError("same_group_only must be true or false")


def _number(obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> float | None:
    if key not in obj or obj[key] is None:
        if required:
            raise InstanceError(f"{where}: missing field {key!r}")
        return None
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstanceError(f"{where}: field {key!r} must be a number, got {value!r}")
    return float(value)


def _integer(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstanceError(f"field {key!r} must be an integer or null, got {value!r}")
    return value


def _label(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InstanceError(f"{where}: field {key!r} must be a string or null")
    return value


def parse_site(obj: Any, index: int) -> Site:
    """Parse one element of ``sites``; ``index`` (0-based) names it in errors."""
    where = f"sites[{index}]"
    if not isinstance(obj, dict):
        raise InstanceError(f"{where}: must be an object")
    if "id" not in obj:
        raise InstanceError(f"{where}: missing field 'id'")
    if not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool):
        raise InstanceError(f"{where}: field 'id' must be a string")
    site_id = str(obj["id"])
    where = f"site {site_id!r}"
    x, y, cap = (_number(obj, k, where) for k in ("x", "y", "capacity_kw"))
    assert x is not None and y is not None and cap is not None
    value = _number(obj, "value", where, required=False)
    return Site(
        site_id,
        x,
        y,
        cap,
        _label(obj, "keep_with", where),
        _label(obj, "locked_bundle", where),
        value=0.0 if value is None else value,
        group=_label(obj, "group", where),
    )


def parse_instance(data: Any) -> BundlingInstance:
    """Build a validated instance from the JSON object of the command-line contract."""
    if not isinstance(data, dict):
        raise InstanceError("instance must be a JSON object")
    if "sites" not in data:
        raise InstanceError("missing field 'sites'")
    if not isinstance(data["sites"], list):
        raise InstanceError("field 'sites' must be a list")
    sites = tuple(parse_site(obj, i) for i, obj in enumerate(data["sites"]))
    max_cap = _number(data, "max_capacity_kw", "instance", required=False)
    max_dist = _number(data, "max_distance_m", "instance", required=False)
    require_all = data.get("require_all", False)
    if not isinstance(require_all, bool):
        raise InstanceError("field 'require_all' must be true or false")
    same_group_only = data.get("same_group_only", False)
    if not isinstance(same_group_only, bool):
        raise InstanceError("field 'same_group_only' must be true or false")
    return BundlingInstance(
        sites=sites,
        min_capacity_kw=_number(data, "min_capacity_kw", "instance", required=False) or 0.0,
        max_capacity_kw=math.inf if max_cap is None else max_cap,
        bundle_count=_integer(data, "bundle_count"),
        min_bundles=_integer(data, "min_bundles"),
        max_bundles=_integer(data, "max_bundles"),
        max_sites=_integer(data, "max_sites"),
        max_distance_m=max_dist,
        bundle_cost_m=_number(data, "bundle_cost_m", "instance", required=False) or 0.0,
        require_all=require_all,
        min_value=_number(data, "min_value", "instance", required=False),
        same_group_only=same_group_only,
    )


def load_instance(path: str | Path) -> BundlingInstance:
    """Read and parse an instance file; JSON syntax errors become :class:`InstanceError`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InstanceError(f"cannot read instance {path}: {exc}") from exc
    return parse_instance(data)
