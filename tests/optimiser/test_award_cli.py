"""Award instances: bad input is refused with a message naming the element; the command line's contract."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from optimiser.award import InstanceError, load_instance, parse_instance
from optimiser.award.cli import main

ROOT = Path(__file__).resolve().parents[2]

GOOD: dict[str, Any] = {
    "tender": "T1",
    "lots": [{"id": "A", "capacity_kw": 1500}, {"id": "B", "capacity_kw": 1000}],
    "suppliers": [{"id": "S", "capacity_kw": 5000}, {"id": "T", "capacity_kw": None}],
    "bids": [
        {"id": "b1", "lot": "A", "supplier": "S", "price_cny_per_w": 3.2, "score": 90},
        {"id": "b2", "lot": "B", "supplier": "S", "price_cny_per_w": 3.1, "score": 88},
        {"id": "b3", "lot": "B", "supplier": "T", "price_cny_per_w": 3.9, "score": 95},
    ],
    "ceiling_cny_per_w": 3.5,
    "share_cap": 0.4,
    "fixed_awards": {},
    "excluded_bids": [],
}


def changed(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one element replaced (``bids.0.score``) or removed (value ``...``)."""
    data = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key_: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key_]
    else:
        node[key_] = value
    return data


def test_the_example_instance_parses_with_defaults() -> None:
    inst = parse_instance(GOOD)
    assert inst.tender == "T1" and inst.total_kw == 2500 and inst.share_cap == 0.4
    assert inst.suppliers[1].capacity_kw is None
    minimal = parse_instance({"lots": [], "suppliers": [], "bids": []})
    assert minimal.share_cap == 0.4 and minimal.ceiling_cny_per_w is None and minimal.fixed_awards == {}


def test_integer_ids_become_strings_and_excluded_bids_may_carry_reasons() -> None:
    data = {
        "lots": [{"id": 7, "capacity_kw": 100}],
        "suppliers": [{"id": 3, "capacity_kw": 100}],
        "bids": [{"id": 12, "lot": 7, "supplier": 3, "price_cny_per_w": 3, "score": 50}],
        "excluded_bids": {"12": "declined by the supplier"},
    }
    inst = parse_instance(data)
    assert inst.bids[0].lot == "7" and inst.excluded_bids == {"12": "declined by the supplier"}
    assert parse_instance({**data, "excluded_bids": [12]}).excluded_bids == {
        "12": "excluded by the application"
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "instance must be a JSON object"),
        (changed("lots", ...), "missing field 'lots'"),
        (changed("bids", {}), "field 'bids' must be a list"),
        (changed("lots.1", "B"), "lots[1]: must be an object"),
        (changed("lots.1.id", ...), "lots[1]: missing field 'id'"),
        (changed("lots.1.id", True), "lots[1]: field 'id' must be a non-empty string"),
        (changed("lots.1.id", "A"), "duplicate lot id 'A'"),
        (changed("suppliers.1.id", "S"), "duplicate supplier id 'S'"),
        (changed("bids.2.id", "b1"), "duplicate bid id 'b1'"),
        (changed("lots.0.capacity_kw", ...), "lot 'A': missing field 'capacity_kw'"),
        (changed("lots.0.capacity_kw", 0), "lot 'A': capacity_kw must be a finite number > 0"),
        (
            changed("lots.0.capacity_kw", 1e12),
            "lot 'A': capacity_kw must be a finite number > 0 and <= 1e+07",
        ),
        (changed("lots.0.capacity_kw", "1500"), "lot 'A': field 'capacity_kw' must be a number, got '1500'"),
        (changed("lots.0.capacity_kw", float("nan")), "lot 'A': field 'capacity_kw' must be a finite number"),
        (changed("suppliers.0.capacity_kw", -1), "supplier 'S': capacity_kw must be a finite number >= 0"),
        (changed("suppliers.0.capacity_kw", ...), "supplier 'S': missing field 'capacity_kw'"),
        (changed("bids.0.lot", "Z"), "bid 'b1': unknown lot 'Z'"),
        (changed("bids.0.supplier", "Z"), "bid 'b1': unknown supplier 'Z'"),
        (changed("bids.0.lot", ...), "bid 'b1': missing field 'lot'"),
        (changed("bids.1.score", ...), "bid 'b2': missing field 'score'"),
        (changed("bids.1.score", 101), "bid 'b2': score must be a finite number from 0 to 100"),
        (changed("bids.1.score", float("inf")), "bid 'b2': field 'score' must be a finite number"),
        (changed("bids.1.price_cny_per_w", -3.1), "bid 'b2': price_cny_per_w must be a finite number > 0"),
        (changed("bids.1.lot", "A"), "bid 'b2': supplier 'S' already bids 'b1' for lot 'A'"),
        (changed("ceiling_cny_per_w", 0), "ceiling_cny_per_w must be a finite number > 0 or null"),
        (changed("share_cap", 1.5), "share_cap must be a number > 0 and <= 1"),
        (changed("share_cap", "40%"), "field 'share_cap' must be a number"),
        (changed("fixed_awards", {"Z": "b1"}), "fixed_awards: lot 'Z': unknown lot"),
        (changed("fixed_awards", {"A": "zz"}), "fixed_awards: lot 'A': unknown bid 'zz'"),
        (changed("fixed_awards", {"A": "b2"}), "fixed_awards: lot 'A': bid 'b2' is for lot 'B'"),
        (changed("fixed_awards", {"B": "b3"}), "fixed_awards: lot 'B': bid 'b3' is above the ceiling"),
        (changed("fixed_awards", ["b1"]), "field 'fixed_awards' must be an object"),
        (
            {**changed("fixed_awards", {"A": "b1"}), "excluded_bids": ["b1"]},
            "fixed_awards: lot 'A': bid 'b1' is also in excluded_bids",
        ),
        (changed("excluded_bids", ["zz"]), "excluded_bids: unknown bid 'zz'"),
        (
            changed("excluded_bids", {"b1": ""}),
            "excluded_bids: bid 'b1': the reason must be a non-empty string",
        ),
        (changed("excluded_bids", "b1"), "field 'excluded_bids' must be a list of bid ids or an object"),
        ({**GOOD, "exclude_bids": ["b1"]}, "unknown field 'exclude_bids'"),
    ],
)
def test_bad_instances_are_refused_with_a_message_naming_the_element(data: Any, message: str) -> None:
    with pytest.raises(InstanceError) as err:
        parse_instance(data)
    assert message in str(err.value)


def test_load_instance_reports_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InstanceError, match="cannot read instance"):
        load_instance(bad)
    with pytest.raises(InstanceError, match="cannot read instance"):
        load_instance(tmp_path / "missing.json")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optimiser", "award", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_command_line_prints_the_result_as_json(tmp_path: Path) -> None:
    path = tmp_path / "tender.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    out = _run(str(path), "--time-limit", "5", "--workers", "1", "--seed", "1")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "optimal" and result["tender"] == "T1"
    assert {a["lot"]: a["bid"] for a in result["awards"]} == {"A": "b1", "B": "b2"}
    assert [r["code"] for r in result["rejected_bids"]] == ["above_ceiling"]
    assert "relaxed" in result["message"]


def test_command_line_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps(GOOD).replace('"score": 90', '"score": NaN'), encoding="utf-8")
    out = _run(str(nan))
    assert out.returncode == 2 and out.stdout == ""
    assert "error: bad instance: bid 'b1': field 'score' must be a finite number" in out.stderr
    # in process: bad arguments and a missing file give 2, an infeasible instance 0
    assert main([str(nan), "--time-limit", "0"]) == 2
    assert main([]) == 2
    assert main([str(tmp_path / "missing.json")]) == 2
    assert "cannot read instance" in capsys.readouterr().err
    infeasible = tmp_path / "infeasible.json"
    infeasible.write_text(
        json.dumps(
            {
                **GOOD,
                "fixed_awards": {"A": "b1", "B": "b2"},
                "suppliers": [{"id": "S", "capacity_kw": 2000}, {"id": "T", "capacity_kw": 1}],
            }
        ),
        encoding="utf-8",
    )
    assert main([str(infeasible), "--workers", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "infeasible"
