"""What every import format is read into: site and surface drafts, problems, and field validation.

CSV rows and GeoJSON feature properties share one vocabulary of fields (English or Chinese names,
see :data:`FIELD_ALIASES`); :func:`read_fields` checks them and names the field and the reason of
every problem, so a report can list them all at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pvhub.core.errors import ENGLISH, FieldName, Phrase, Wording, render
from pvhub.register.enums import SurfaceKind
from pvhub.register.geometry import DEFAULT_USABLE_RATIO
from pvhub.register.models import MAX_AREA_M2

#: Index of a problem: CSV line number, GeoJSON feature index (0-based), CityJSON object id;
#: ``None`` for the file as a whole.
Index = int | str | None

#: Canonical field → accepted column/property names (compared lower-cased, units in brackets dropped).
FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {
    "site_name": ("site_name", "site", "站点名称", "站点", "建筑名称", "项目名称"),
    "address": ("address", "地址"),
    "subdistrict": ("subdistrict", "街道"),
    "use": ("use", "用途"),
    "site_height_m": ("site_height_m", "site_height", "建筑高度", "站点高度"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "kind": ("kind", "type", "类型", "表面类型"),
    "surface_name": ("surface_name", "表面名称"),
    "tilt_deg": ("tilt_deg", "tilt", "surface_tilt", "倾角"),
    "azimuth_deg": ("azimuth_deg", "azimuth", "surface_azimuth", "方位角"),
    "gross_area_m2": ("gross_area_m2", "gross_area", "area", "面积", "总面积"),
    "usable_area_m2": ("usable_area_m2", "usable_area", "可用面积"),
    "shading_loss": ("shading_loss", "遮挡损失"),
    "height_m": ("height_m", "height", "高度"),
    "storey": ("storey", "floor", "楼层"),
    "height_from_m": ("height_from_m", "底部高度"),
    "height_to_m": ("height_to_m", "顶部高度"),
    "facing": ("facing", "朝向侧"),
}
_ALIAS_TO_FIELD = {alias.lower(): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
_UNIT_SUFFIX = re.compile(r"\s*[（(][^)）]*[)）]\s*$")

KIND_ALIASES: Mapping[str, SurfaceKind] = {
    "roof": SurfaceKind.roof,
    "屋顶": SurfaceKind.roof,
    "屋面": SurfaceKind.roof,
    "curtain_wall": SurfaceKind.curtain_wall,
    "curtain wall": SurfaceKind.curtain_wall,
    "幕墙": SurfaceKind.curtain_wall,
    "corridor": SurfaceKind.corridor,
    "连廊": SurfaceKind.corridor,
    "walkway": SurfaceKind.walkway,
    "步道": SurfaceKind.walkway,
}

# Mainland China's extent, to recognise swapped lon/lat (same box as gis.validate).
_CHINA_LON = (73.0, 135.0)
_CHINA_LAT = (18.0, 54.0)


def canonical_field(name: str) -> str | None:
    """Return the canonical field for a column or property name, or ``None`` if unknown."""
    key = _UNIT_SUFFIX.sub("", name.strip().lstrip("\ufeff")).strip().lower()
    return _ALIAS_TO_FIELD.get(key)


class Foreign(str):
    """A library's English sentence inside a problem (``gis``'s validation, the csv module): not a
    template of ours, so it has no catalogue entry; pages translate the forms they recognise."""


class _Reported:
    """What a problem and a skip share: a place, an English text, and the phrase pages render.

    Two entries are equal when their place and English text are (tests compare reports that way).
    """

    __slots__ = ("index", "phrase")

    index: Index
    phrase: Phrase | None

    def _english(self) -> str:
        raise NotImplementedError

    def _key(self) -> tuple[Any, ...]:
        return (self.index, self._english())

    def localized(self, wording: Wording = ENGLISH, foreign: Callable[[str], str] = str) -> str:
        """The text in ``wording``'s language; ``foreign`` translates :class:`Foreign` sentences."""
        if self.phrase is None:
            return foreign(self._english())
        params = {k: foreign(v) if isinstance(v, Foreign) else v for k, v in self.phrase.params.items()}
        return render(self.phrase.template, params, wording)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Reported)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class Problem(_Reported):
    """One error of the report: where (``index``), which ``field``, and why.

    Written like a domain error: an English ``str.format`` template literal and its values,
    ``Problem(line, "file", "line {line} holds a NUL character, which text cannot contain", line=line)``
    (``tests/web/test_translations.py`` requires a Chinese and an English catalogue entry for each).
    ``message`` is the English text (the API, the CLI); ``phrase`` is the template and values, which a
    page renders in the reader's language (:meth:`localized`). A value may be a
    :class:`~pvhub.core.errors.FieldName` (shown by its label), an enum (the UI's word), a
    :class:`~pvhub.core.errors.Phrase` or a :class:`Foreign` sentence.

    :meth:`said` keeps a sentence that is not ours (``gis``'s, pydantic's) as ``message``, with the
    phrase pages show instead when there is one.
    """

    __slots__ = ("field", "message")

    def __init__(self, index: Index, field: str, template: str, /, **params: Any) -> None:
        self.index = index
        self.field = field
        self.phrase = Phrase.catalogued(template, **params)
        self.message = self.phrase.render()

    @classmethod
    def catalogued(cls, index: Index, field: str, template: str, /, **params: Any) -> Problem:
        """A problem whose template is not a literal here but one passed on: :meth:`FieldReader.reject`'s
        (its callers' literals are collected like ``Problem(...)``'s)."""
        return cls(index, field, template, **params)

    @classmethod
    def said(cls, index: Index, field: str, message: str, phrase: Phrase | None = None) -> Problem:
        """A problem in someone else's English ``message``; ``phrase``, if any, says it on pages."""
        problem = cls.__new__(cls)
        problem.index, problem.field, problem.message, problem.phrase = index, field, message, phrase
        return problem

    def _english(self) -> str:
        return self.message

    def _key(self) -> tuple[Any, ...]:
        return (self.index, self.field, self.message)

    def __repr__(self) -> str:
        return f"Problem({self.index!r}, {self.field!r}, {self.message!r})"


class Skip(_Reported):
    """Something left out on purpose (a tiny face, a north wall), with the reason.

    The reason is a template and values as :class:`Problem`'s: ``Skip(index, "north-facing wall")``;
    ``reason`` is the English text, :meth:`localized` the reader's.
    """

    __slots__ = ("reason",)

    def __init__(self, index: Index, template: str, /, **params: Any) -> None:
        self.index = index
        self.phrase = Phrase.catalogued(template, **params)
        self.reason = self.phrase.render()

    @classmethod
    def said(cls, index: Index, reason: str, phrase: Phrase | None = None) -> Skip:
        """A skip whose English ``reason`` is not ours; ``phrase``, if any, says it on pages."""
        skip = cls.__new__(cls)
        skip.index, skip.reason, skip.phrase = index, reason, phrase
        return skip

    def _english(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"Skip({self.index!r}, {self.reason!r})"


@dataclass
class SurfaceDraft:
    """A surface to create: fields of :class:`pvhub.tables.Surface` (degrees, m², m)."""

    index: Index
    kind: SurfaceKind
    tilt_deg: float
    azimuth_deg: float
    gross_area_m2: float
    usable_area_m2: float
    name: str = ""
    shading_loss: float = 0.0
    #: a shading loss was given (it overrides the building shade); blank: computed from the stock
    shading_manual: bool = False
    height_m: float = 0.0
    storey: int | None = None
    geometry: dict[str, Any] | None = None
    external_ref: str | None = None


@dataclass
class SiteDraft:
    """A site to create with its surfaces; ``lon``/``lat`` WGS84 degrees (``None`` until known)."""

    index: Index
    name: str
    address: str = ""
    subdistrict: str = ""
    use: str = "office"
    height_m: float = 0.0
    lon: float | None = None
    lat: float | None = None
    external_ref: str | None = None
    surfaces: list[SurfaceDraft] = field(default_factory=list)


@dataclass
class Parsed:
    """What a reader made of a file: drafts, deliberate skips and errors."""

    sites: list[SiteDraft] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: The unit of angles in a problem (lon/lat, tilt, azimuth); areas and heights say m² and m.
DEGREES = Phrase("degrees")


class FieldReader:
    """Reads the canonical fields of one row or feature, collecting a :class:`Problem` per bad field."""

    def __init__(self, index: Index, values: Mapping[str, Any]) -> None:
        self.index = index
        self.values = values
        self.errors: list[Problem] = []

    def reject(self, name: str, template: str, /, **params: Any) -> None:
        """Record a problem of field ``name``: an English template literal and its values."""
        self.errors.append(Problem.catalogued(self.index, name, template, **params))

    def text(self, name: str, *, max_length: int, required: bool = False, default: str = "") -> str:
        value = self.values.get(name)
        if _blank(value):
            if required:
                self.reject(name, "{name} is required", name=FieldName(name))
            return default
        out = str(value).strip()
        if len(out) > max_length:
            self.reject(
                name,
                "{name} is {length} characters long; at most {max_length} allowed",
                name=FieldName(name),
                length=len(out),
                max_length=max_length,
            )
        elif "\x00" in out:  # PostgreSQL cannot store it; no legitimate name holds one
            self.reject(name, "{name} contains a NUL character", name=FieldName(name))
        return out

    def number(
        self,
        name: str,
        *,
        low: float | None = None,
        high: float | None = None,
        required: bool = False,
        unit: str | Phrase = "",
    ) -> float | None:
        """A finite number within [low, high]; ``None`` when blank (an error if required)."""
        value = self.values.get(name)
        field = FieldName(name)
        if _blank(value):
            if required:
                self.reject(name, "{name} is required", name=field)
            return None
        if isinstance(value, bool):
            self.reject(name, "{name} must be a number, not {value!r}", name=field, value=value)
            return None
        try:
            number = float(str(value).strip().replace(",", ""))
        except (TypeError, ValueError):
            self.reject(name, "{name} must be a number, got {value!r}", name=field, value=value)
            return None
        if not math.isfinite(number):
            self.reject(name, "{name} must be a finite number, got {value!r}", name=field, value=value)
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            self._out_of_range(name, number, low, high, unit)
            return None
        return number

    def _out_of_range(
        self, name: str, number: float, low: float | None, high: float | None, unit: str | Phrase
    ) -> None:
        values = {"name": FieldName(name), "low": low, "high": high, "number": number}
        if high is None and unit:
            self.reject(name, "{name} must be at least {low:g} {unit}, got {number:g}", **values, unit=unit)
        elif high is None:
            self.reject(name, "{name} must be at least {low:g}, got {number:g}", **values)
        elif low is None and unit:
            self.reject(name, "{name} must be at most {high:g} {unit}, got {number:g}", **values, unit=unit)
        elif low is None:
            self.reject(name, "{name} must be at most {high:g}, got {number:g}", **values)
        elif unit:
            self.reject(
                name,
                "{name} must be between {low:g} and {high:g} {unit}, got {number:g}",
                **values,
                unit=unit,
            )
        else:
            self.reject(name, "{name} must be between {low:g} and {high:g}, got {number:g}", **values)

    def integer(self, name: str, *, low: int, high: int) -> int | None:
        number = self.number(name, low=low, high=high)
        if number is None:
            return None
        if not number.is_integer():
            self.reject(
                name, "{name} must be a whole number, got {number:g}", name=FieldName(name), number=number
            )
            return None
        return int(number)

    def fraction(self, name: str) -> float | None:
        """A fraction 0–1; ``"12%"`` is read as 0.12."""
        value = self.values.get(name)
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                value = float(value.strip()[:-1]) / 100.0
            except ValueError:
                self.reject(
                    name,
                    "{name} must be a fraction 0–1 or a percentage, got {value!r}",
                    name=FieldName(name),
                    value=value,
                )
                return None
            self.values = {**self.values, name: value}
        return self.number(name, low=0.0, high=1.0)

    def kind(self, default: SurfaceKind | None = None) -> SurfaceKind | None:
        value = self.values.get("kind")
        if _blank(value):
            if default is None:
                self.reject(
                    "kind", "kind is required: roof/屋顶, curtain_wall/幕墙, corridor/连廊 or walkway/步道"
                )
            return default
        kind = KIND_ALIASES.get(str(value).strip().lower())
        if kind is None:
            self.reject(
                "kind",
                "unknown kind {value!r}: use roof/屋顶, curtain_wall/幕墙, corridor/连廊 or walkway/步道",
                value=value,
            )
        return kind

    def location(self, *, required: bool) -> tuple[float, float] | None:
        """The site's lon/lat (degrees, in the file's datum), with swapped pairs recognised."""
        lon = self.number("lon", required=required, unit=DEGREES)
        lat = self.number("lat", required=required, unit=DEGREES)
        if lon is None or lat is None:
            reported = {p.field for p in self.errors}
            if (lon is None) != (lat is None) and not {"lon", "lat"} & reported:
                self.reject("lon" if lon is None else "lat", "give both lon and lat, or neither")
            return None
        if _CHINA_LAT[0] <= lon <= _CHINA_LAT[1] and _CHINA_LON[0] <= lat <= _CHINA_LON[1]:
            self.reject(
                "lon",
                "lon {lon:g} and lat {lat:g} look swapped: longitude comes first (lon {lat:g})",
                lon=lon,
                lat=lat,
            )
            return None
        if not -180.0 <= lon <= 180.0:
            self.reject("lon", "lon must be a longitude between -180 and 180 degrees, got {lon:g}", lon=lon)
            return None
        if not -90.0 <= lat <= 90.0:
            self.reject("lat", "lat must be a latitude between -90 and 90 degrees, got {lat:g}", lat=lat)
            return None
        if lon == 0.0 and lat == 0.0:
            self.reject("lon", "lon 0, lat 0 is not a real site location: fill in the coordinates")
            return None
        return lon, lat

    def orientation(self, kind: SurfaceKind) -> tuple[float, float] | None:
        """Tilt and azimuth in degrees; a flat surface defaults to azimuth 180, a wall to tilt 90."""
        tilt = self.number("tilt_deg", low=0.0, high=90.0, unit=DEGREES)
        azimuth = self.number("azimuth_deg", low=0.0, high=360.0, unit=DEGREES)
        if tilt is None and "tilt_deg" not in {p.field for p in self.errors}:
            tilt = 90.0 if kind == SurfaceKind.curtain_wall else 0.0
        if azimuth is None and "azimuth_deg" not in {p.field for p in self.errors}:
            if tilt == 0.0:
                azimuth = 180.0
            elif tilt is not None:
                self.reject(
                    "azimuth_deg", "azimuth_deg is required for a tilted surface (0 = north, 180 = south)"
                )
        if tilt is None or azimuth is None:
            return None
        return tilt, azimuth % 360.0

    def site(self, *, location_required: bool) -> SiteDraft:
        """The site-level fields (lon/lat left ``None`` here; see :meth:`location`)."""
        return SiteDraft(
            index=self.index,
            name=self.text("site_name", max_length=200, required=True),
            address=self.text("address", max_length=300),
            subdistrict=self.text("subdistrict", max_length=50),
            use=self.text("use", max_length=30, default="office"),
            height_m=self.number("site_height_m", low=0.0, high=1000.0, unit="m") or 0.0,
        )


def canonical_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Map a row's or feature's keys to canonical fields; unknown keys are dropped."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = canonical_field(str(key))
        if name is not None and name not in out:
            out[name] = value
    return out


def is_north_facing(azimuth_deg: float, half_angle_deg: float = 45.0) -> bool:
    """Tell whether an azimuth (degrees) is within ``half_angle_deg`` of north."""
    return abs((azimuth_deg + 180.0) % 360.0 - 180.0) <= half_angle_deg


def surface_from_fields(
    fields: FieldReader,
    *,
    geometry_areas: tuple[float, float] | None,
    kind_default: SurfaceKind | None = None,
) -> SurfaceDraft | None:
    """Build a surface from canonical fields; areas come from the fields, else from ``geometry_areas``.

    ``geometry_areas`` is ``(gross_m2, usable_m2)`` measured on a drawn outline, when there is one.
    """
    kind = fields.kind(default=kind_default)
    gross = fields.number("gross_area_m2", low=0.0, required=geometry_areas is None, unit="m²")
    usable = fields.number("usable_area_m2", low=0.0, unit="m²")
    for name, area in (("gross_area_m2", gross), ("usable_area_m2", usable)):
        if area is not None and area > MAX_AREA_M2:
            fields.reject(
                name,
                "{name} must be at most {limit:,.0f} m² (1 km²), got {area:g}",
                name=FieldName(name),
                limit=MAX_AREA_M2,
                area=area,
            )
    shading = fields.fraction("shading_loss")
    height = fields.number("height_m", low=0.0, high=1000.0, unit="m")
    storey = fields.integer("storey", low=-10, high=200)
    name = fields.text("surface_name", max_length=200)
    if kind is None:
        return None
    orientation = fields.orientation(kind)
    if fields.errors or orientation is None:
        return None
    if gross is None and geometry_areas is not None:
        gross, derived_usable = geometry_areas
        usable = derived_usable if usable is None else usable
        if gross > MAX_AREA_M2:
            fields.reject(
                "geometry",
                "the outline measures {area:,.0f} m²; one surface is at most {limit:,.0f} m² (1 km²)",
                area=gross,
                limit=MAX_AREA_M2,
            )
            return None
    assert gross is not None
    if usable is None:
        usable = gross * DEFAULT_USABLE_RATIO[kind]
    if usable > gross:
        fields.reject(
            "usable_area_m2",
            "usable_area_m2 ({usable:g} m²) exceeds gross_area_m2 ({gross:g} m²)",
            usable=usable,
            gross=gross,
        )
        return None
    return SurfaceDraft(
        index=fields.index,
        kind=kind,
        tilt_deg=orientation[0],
        azimuth_deg=orientation[1],
        gross_area_m2=gross,
        usable_area_m2=usable,
        name=name,
        shading_loss=shading or 0.0,
        shading_manual=shading is not None,
        height_m=height or 0.0,
        storey=storey,
    )
