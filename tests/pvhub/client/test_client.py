"""The typed API client against a real ``pvhub serve``: an owner's script registers 200 buildings,
paged lists come back whole, and every refusal arrives as an exception carrying the API's message."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvhub.client import Client, Conflict, InvalidRequest, NotAuthenticated, NotFound
from pvhub.register.models import SiteCreate, SurfacePublic
from tests.faults.live import ROOT, Server, environment, pvhub

PASSWORD = "client-tests-password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh database with two owners and the office, served by ``pvhub serve``."""
    folder = tmp_path_factory.mktemp("client")
    env = environment(folder / "pvhub.db")
    assert pvhub(env, "db", "upgrade").returncode == 0
    for email, role, org in (
        ("a@owner.cn", "owner", "Estate A"),
        ("b@owner.cn", "owner", "Estate B"),
        ("o@office.cn", "office", "Programme office"),
    ):
        added = subprocess.run(
            [
                str(Path(sys.executable).with_name("pvhub")),
                "user",
                "add",
                email,
                "--role",
                role,
                "--org",
                org,
                "--password-stdin",
            ],
            input=PASSWORD,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert added.returncode == 0, added.stderr
    live = Server(env, folder / "server.log").start()
    yield live
    live.stop()


def _buildings(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "name",
                "address",
                "lon",
                "lat",
                "use",
                "height_m",
                "roof_m2",
                "roof_usable_m2",
                "facade_m2",
                "facade_usable_m2",
            ]
        )
        for i in range(count):
            facade = ("600", "300") if i % 2 else ("", "")
            lon, lat = 121.47 + (i % 20) * 0.0008, 31.225 + (i // 20) * 0.0008
            writer.writerow(
                [
                    f"Building {i:03d}",
                    f"{i} Demo Road",
                    f"{lon:.5f}",
                    f"{lat:.5f}",
                    "office",
                    "40",
                    "900",
                    "600",
                    *facade,
                ]
            )
    return path


def test_an_owners_script_registers_200_buildings_and_can_be_run_again(
    server: Server, tmp_path: Path
) -> None:
    table = _buildings(tmp_path / "buildings.csv", 200)
    script = [
        sys.executable,
        str(ROOT / "examples" / "register_buildings.py"),
        str(table),
        "--url",
        server.url,
        "--email",
        "a@owner.cn",
    ]
    env = {**os.environ, "PVHUB_PASSWORD": PASSWORD}
    first = subprocess.run(script, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("registered with") == 200
    with Client.login(server.url, "a@owner.cn", PASSWORD) as client:
        sites = list(client.sites(page_size=64))  # four pages
        assert len(sites) == 200 and len({s.id for s in sites}) == 200
        submitted = list(client.surfaces(status="submitted", page_size=500))
        assert len(submitted) == 300 and all(isinstance(s, SurfacePublic) for s in submitted)
        assert sum(1 for s in submitted if s.kind == "curtain_wall") == 100
    again = subprocess.run(script, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "registered" not in again.stdout  # nothing twice


def test_a_refused_row_is_named_and_leaves_nothing_behind(server: Server, tmp_path: Path) -> None:
    table = tmp_path / "bad.csv"
    with table.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["name", "lon", "lat", "roof_m2", "roof_usable_m2"])
        writer.writerow(["Good tower", "121.48", "31.23", "500", "300"])
        writer.writerow(["Usable above gross", "121.481", "31.231", "500", "900"])
    env = {**os.environ, "PVHUB_PASSWORD": PASSWORD}
    script = [
        sys.executable,
        str(ROOT / "examples" / "register_buildings.py"),
        str(table),
        "--url",
        server.url,
        "--email",
        "b@owner.cn",
    ]
    run = subprocess.run(script, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "line 3 (Usable above gross)" in run.stderr and "usable" in run.stderr.lower()
    with Client.login(server.url, "b@owner.cn", PASSWORD) as client:
        assert [s.name for s in client.sites()] == ["Good tower"]  # the refused row's draft site is gone


def test_refusals_are_exceptions_with_the_apis_message(server: Server) -> None:
    with pytest.raises(NotAuthenticated, match="Wrong e-mail or password"):
        Client.login(server.url, "a@owner.cn", "not the password")
    with (
        Client.login(server.url, "b@owner.cn", PASSWORD) as other,
        Client.login(server.url, "a@owner.cn", PASSWORD) as owner,
    ):
        site = owner.create_site(SiteCreate(name="Typed tower", lon=121.48, lat=31.23))
        assert site.id is not None and owner.site(site.id).name == "Typed tower"
        with pytest.raises(NotFound) as missing:
            other.site(site.id)
        assert missing.value.status_code == 404 and str(site.id) in missing.value.message
        with pytest.raises(InvalidRequest) as invalid:
            owner.create_surface(
                {
                    "site_id": site.id,
                    "kind": "roof",
                    "tilt_deg": 120,
                    "azimuth_deg": 180,
                    "gross_area_m2": 10,
                    "usable_area_m2": 5,
                }
            )
        assert invalid.value.field == "tilt_deg" and "tilt_deg" in invalid.value.message
        surface = owner.create_surface(
            {
                "site_id": site.id,
                "kind": "roof",
                "tilt_deg": 10,
                "azimuth_deg": 180,
                "gross_area_m2": 100,
                "usable_area_m2": 70,
            }
        )
        assert surface.id is not None
        assert owner.update_surface(surface.id, {"name": "Main roof"}).name == "Main roof"
        owner.submit_surface(surface.id)
        with pytest.raises(Conflict):
            owner.delete_site(site.id)  # a surface is in review
        with pytest.raises(InvalidRequest, match="no estimated surface"):
            owner.site_economics(site.id)
        assert owner.me().email == "a@owner.cn"
