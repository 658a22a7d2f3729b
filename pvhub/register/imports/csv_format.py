"""CSV import: one row per surface; rows with the same site name and address form one site.

Columns (English or Chinese header; order free; unknown columns ignored; a unit in brackets after
the name, e.g. ``面积(m²)``, is allowed):

==================  ============  ==========================================================
column              中文          meaning
==================  ============  ==========================================================
site_name           站点名称      site (building) name — required
address             地址          site address
subdistrict         街道          subdistrict (街道)
use                 用途          site use (default ``office``)
site_height_m       建筑高度      building height, m
lon, lat            经度, 纬度    site location, degrees, in the import's datum — required
kind                类型          roof/屋顶, curtain_wall/幕墙, corridor/连廊, walkway/步道 — required
surface_name        表面名称      surface name
tilt_deg            倾角          0 = horizontal … 90 = vertical (default 0; 90 for a curtain wall)
azimuth_deg         方位角        0 = north, 90 = east, 180 = south; required unless tilt is 0
gross_area_m2       面积          true (sloped) area, m² — required
usable_area_m2      可用面积      area after setbacks and obstacles, m²; default gross × 0.7 (roof),
                                  0.6 (curtain wall), 0.85 (corridor, walkway)
shading_loss        遮挡损失      annual shading loss, 0–1 or a percentage such as ``12%``
height_m            高度          height the surface sits at, m
storey              楼层          storey number
==================  ============  ==========================================================

Encoding: UTF-8 with or without BOM; GB18030 (what Excel saves in China) when the file is not
UTF-8. Errors are indexed by line number in the file, the header being line 1. The site-level
columns of a site are taken from its first row. Text that looks like a spreadsheet formula
(``=…``) is stored as text; exports neutralise it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pvhub.core.errors import FieldName
from pvhub.register.imports.rows import (
    FieldReader,
    Foreign,
    Parsed,
    Problem,
    SiteDraft,
    canonical_field,
    surface_from_fields,
)

REQUIRED_COLUMNS = ("site_name", "lon", "lat", "kind", "gross_area_m2")


def decode(content: bytes) -> tuple[str | None, Problem | None]:
    """Decode UTF-8 (BOM optional), else GB18030; otherwise a problem naming the encoding."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(content):
        return None, Problem(None, "file", "the file is UTF-16 encoded: save it as CSV UTF-8 (or GB18030)")
    if b"\x00" in content:
        line = content[: content.index(b"\x00")].count(b"\n") + 1
        return None, Problem(
            line, "file", "line {line} holds a NUL character, which text cannot contain", line=line
        )
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return content.decode("gb18030"), None
    except UnicodeDecodeError:
        return None, Problem(
            None,
            "file",
            "the file is neither UTF-8 nor GB18030 text (byte {byte} is not valid UTF-8): "
            "save it as CSV UTF-8",
            byte=utf8_error.start,
        )


def _looks_utf16(content: bytes) -> bool:
    """UTF-16 without a byte-order mark: mostly ASCII text with a NUL in every other byte."""
    sample = content[:400]
    half = len(sample) // 2
    return half >= 4 and max(sample[0::2].count(0), sample[1::2].count(0)) > 0.8 * half


def read_csv(content: bytes) -> Parsed:
    """Read CSV bytes into site drafts (lon/lat still in the file's datum)."""
    parsed = Parsed()
    text, problem = decode(content)
    if problem is not None or text is None:
        parsed.errors.append(problem or Problem(None, "file", "unreadable file"))
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _read_rows(reader, parsed)
    except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit (131,072 characters)
        line = max(reader.line_num, 1)  # the line the reader was on when it gave up
        parsed.errors.append(
            Problem(
                line, "file", "line {line} cannot be read as CSV: {problem}", line=line, problem=Foreign(exc)
            )
        )
        return parsed


def _read_rows(reader: Any, parsed: Parsed) -> Parsed:
    header = next(reader, None)
    if header is None:
        parsed.errors.append(Problem(None, "file", "the file is empty"))
        return parsed
    columns = _columns(header, parsed)
    if parsed.errors:
        return parsed
    sites: dict[tuple[str, str], SiteDraft] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values = {name: row[i] if i < len(row) else "" for i, name in columns.items()}
        _read_row(start, values, sites, parsed)
    parsed.sites = list(sites.values())
    if not parsed.sites and not parsed.errors:
        parsed.errors.append(Problem(None, "file", "the file has a header but no rows"))
    return parsed


def _columns(header: list[str], parsed: Parsed) -> dict[int, str]:
    columns: dict[int, str] = {}
    for i, title in enumerate(header):
        name = canonical_field(title)
        if name is None:
            continue
        if name in columns.values():
            parsed.errors.append(
                Problem(1, name, "column {title!r} repeats {name}", title=title, name=FieldName(name))
            )
        columns[i] = name
    missing = [name for name in REQUIRED_COLUMNS if name not in columns.values()]
    if missing:
        parsed.errors.append(
            Problem(
                1,
                missing[0],
                "the header lacks the column(s) {columns} (see the documented columns)",
                columns=[FieldName(name) for name in missing],
            )
        )
    return columns


def _read_row(
    line: int, values: dict[str, str], sites: dict[tuple[str, str], SiteDraft], parsed: Parsed
) -> None:
    fields = FieldReader(line, values)
    site = fields.site(location_required=True)
    location = fields.location(required=True)
    surface = surface_from_fields(fields, geometry_areas=None)
    parsed.errors.extend(fields.errors)
    if fields.errors or surface is None or location is None:
        return
    key = (site.name, site.address)
    if key not in sites:
        site.lon, site.lat = location
        sites[key] = site
    sites[key].surfaces.append(surface)
