"""Register an owner's buildings with pvhub from a CSV file, through the typed API client.

    python examples/register_buildings.py BUILDINGS.csv --url https://pvhub.example.cn \
        --email owner@example.cn            # the password is read from PVHUB_PASSWORD

Each row is one building: ``name``, ``address``, ``lon``, ``lat`` (WGS84 degrees), ``use``,
``height_m``, ``roof_m2`` and ``roof_usable_m2`` (the flat roof), and optionally ``facade_m2``,
``facade_usable_m2`` and ``facade_azimuth_deg`` (a curtain wall; azimuth 180 = south). The script
registers a site per row with its surfaces and submits them for review, all or nothing per row. A
row the API refuses is reported with the API's message (which names the field) and the script goes
on with the next; the exit code is 1 when any row was refused. Rows already registered (same
``name`` among the owner's sites) are skipped, so the script can be run again after fixing the
refused rows.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from pvhub.client import ApiError, Client


def _surfaces(row: dict[str, str], site_id: int) -> Iterable[dict[str, object]]:
    yield {
        "site_id": site_id,
        "kind": "roof",
        "name": "Roof",
        "tilt_deg": 0,
        "azimuth_deg": 180,
        "gross_area_m2": float(row["roof_m2"]),
        "usable_area_m2": float(row["roof_usable_m2"]),
        "height_m": float(row.get("height_m") or 0),
    }
    if row.get("facade_m2"):
        yield {
            "site_id": site_id,
            "kind": "curtain_wall",
            "name": "Facade",
            "tilt_deg": 90,
            "azimuth_deg": float(row.get("facade_azimuth_deg") or 180),
            "gross_area_m2": float(row["facade_m2"]),
            "usable_area_m2": float(row.get("facade_usable_m2") or 0),
        }


def register(pvhub: Client, row: dict[str, str]) -> int:
    """One building: its site and its surfaces as drafts, then submitted; all or nothing (a refused
    surface deletes the draft site again). Returns the number of surfaces."""
    site = pvhub.create_site(
        {
            "name": row["name"],
            "address": row.get("address", ""),
            "use": row.get("use") or "office",
            "height_m": float(row.get("height_m") or 0),
            "lon": float(row["lon"]),
            "lat": float(row["lat"]),
        }
    )
    assert site.id is not None
    try:
        drafts = [pvhub.create_surface(surface) for surface in _surfaces(row, site.id)]
    except (ApiError, ValueError):
        pvhub.delete_site(site.id)
        raise
    for draft in drafts:
        assert draft.id is not None
        pvhub.submit_surface(draft.id)
    return len(drafts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    args = parser.parse_args(argv)
    refused = 0
    with Client.login(args.url, args.email, os.environ["PVHUB_PASSWORD"]) as pvhub:
        known = {site.name for site in pvhub.sites()}
        with args.csv.open(encoding="utf-8-sig", newline="") as file:
            for line, row in enumerate(csv.DictReader(file), start=2):  # line 1 is the header
                if row["name"] in known:
                    continue
                try:
                    surfaces = register(pvhub, row)
                except (ApiError, ValueError, KeyError) as exc:
                    refused += 1
                    print(f"line {line} ({row.get('name')}): {getattr(exc, 'message', exc)}", file=sys.stderr)
                else:
                    print(f"line {line}: {row['name']} registered with {surfaces} surface(s)")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
