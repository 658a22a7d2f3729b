"""Why a site was left out of the bundles, in the page's language.

The optimiser's result is a documented JSON contract (optimiser/README.md) whose reasons are
English sentences, and the stored run keeps them as the optimiser gave them; the bundles page
translates the known forms when it shows them. A sentence of a form not known here is shown as
it is, so a new reason is never hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from web.i18n import gettext as _
from web.vocabulary import N_

_NUMBER = r"[0-9][0-9.e+]*"
_SIGNED = r"-?[0-9][0-9.e+-]*"  # a site's value may be negative (CNY)

_WHO = [
    (re.compile(r"^site '[^']*'$"), lambda m: ""),
    (
        re.compile(r"^keep_with group '(?P<group>[^']*)'$"),
        lambda m: _("sites kept together (%(group)s): ") % {"group": _group(m["group"])},
    ),
    (
        re.compile(r"^sites locked to bundle '(?P<code>[^']*)'$"),
        lambda m: _("sites locked to bundle %(code)s: ") % {"code": m["code"]},
    ),
]

_WHY: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(rf"^(?P<who>.+): (?P<kw>{_NUMBER}) kWp exceeds max_capacity_kw (?P<max>{_NUMBER})$"),
        lambda m: (
            _("%(kw)s kWp, more than a bundle may hold (%(max)s kWp)") % {"kw": m["kw"], "max": m["max"]}
        ),
    ),
    (
        re.compile(r"^(?P<who>.+): (?P<n>\d+) sites exceed max_sites (?P<max>\d+)$"),
        lambda m: (
            _("%(n)s sites that must stay together, more than a bundle may hold (%(max)s)")
            % {"n": m["n"], "max": m["max"]}
        ),
    ),
    (
        re.compile(rf"^(?P<who>.+): no site lies within max_distance_m (?P<d>{_NUMBER}) of all its sites$"),
        lambda m: (
            _("no site lies within %(d)s m of all of them, so none can anchor their bundle") % {"d": m["d"]}
        ),
    ),
    # bankable bundles (issue #20; optimiser/bundling/bankable.py and units.py)
    (
        re.compile(
            rf"^(?P<who>.+): no bundle that can hold it reaches min_value (?P<min>{_SIGNED}) CNY "
            rf"\(its value (?P<value>{_SIGNED}) CNY plus every positive value [^:]*share its bundle: "
            rf"(?P<best>{_SIGNED}) CNY\)$"
        ),
        lambda m: (
            _(
                "no bundle it may join reaches the bankability floor of %(min)s CNY: its value, "
                "%(value)s CNY, plus every positive value that may share its bundle comes to %(best)s CNY"
            )
            % {"min": m["min"], "value": m["value"], "best": m["best"]}
        ),
    ),
    (
        re.compile(
            rf"^(?P<who>.+): its group's sites [^:]*share its bundle add up to (?P<kw>{_NUMBER}) kWp, "
            rf"below min_capacity_kw (?P<min>{_NUMBER})$"
        ),
        lambda m: (
            _(
                "the sites of its group that may share its bundle add up to %(kw)s kWp, "
                "below the minimum of %(min)s kWp"
            )
            % {"kw": m["kw"], "min": m["min"]}
        ),
    ),
    (
        re.compile(
            r"^(?P<who>.+): its sites carry different groups \((?P<names>.*)\) and same_group_only is set$"
        ),
        lambda m: (
            _("its sites belong to different groups (%(names)s), but each bundle must keep to one")
            % {"names": m["names"]}
        ),
    ),
    (
        re.compile(
            r"^(?P<who>.+): no other site of its group can share a bundle with it \(same_group_only\)$"
        ),
        lambda m: _("no other site of its group may share a bundle with it (one group per bundle)"),
    ),
]

#: Whole sentences of the optimiser (solve.py); each is its own message id.
_FIXED = frozenset(
    (
        N_(
            "left out of the optimal solution: no bundle can take it without breaking a limit or "
            "lowering the bundled capacity"
        ),
        N_("left out of the best solution found (not proven necessary)"),
    )
)
#: The application's own reason (pvhub/bundling/runs.py) for a site it did not hand over.
_ESTIMATES = re.compile(r"^(?P<n>\d+) approved surface\(s\) without a current estimate: re-estimate first$")


def _group(name: str) -> str:
    """``point-3`` is how the application names a demonstration point's group."""
    return _("demonstration point %(id)s") % {"id": name[6:]} if name.startswith("point-") else name


def translate_reason(reason: str) -> str:
    """The reason in the page's language when its form is known, else as it is."""
    if reason in _FIXED:
        return _(reason)
    estimates = _ESTIMATES.match(reason)
    if estimates:
        return _("%(n)s approved surface(s) without a current estimate: re-estimate first") % {
            "n": estimates["n"]
        }
    for pattern, explain in _WHY:
        match = pattern.match(reason)
        if match:
            return _who(match["who"]) + explain(match)
    return reason


def _who(label: str) -> str:
    for pattern, name in _WHO:
        match = pattern.match(label)
        if match:
            return name(match)
    return label + ": "


_NO_BUNDLING = re.compile(
    r"^no bundling satisfies every limit "
    r"\(bundle count, capacity, sites, distance, locks(?P<all>, require_all)?"
    rf"(?:, min_value (?P<floor>{_SIGNED}) CNY)?(?P<group>, same_group_only)?\)"
    r"(?: with each site's (?P<k>\d+) nearest anchors; the others were not tried)?"
    r"(?P<fen> in CP-SAT's model, which rounds values to whole fen \(tighter than the rule\))?$"
)
_NO_SOLUTION = re.compile(rf"^no solution found within (?P<s>{_NUMBER}) s$")
_BLOCKED = re.compile(r"^(?P<why>require_all|locked_bundle): (?P<reasons>.+)$")


def translate_run_message(message: str) -> str:
    """Why a bundling run has no bundles (the optimiser's ``message``), in the page's language when its
    form is known (optimiser/bundling/phases/warm_start.py and finish.py), else as it is."""
    if message == "cancelled":
        return _("cancelled")
    match = _NO_SOLUTION.match(message)
    if match:
        return _("no bundling found within the time limit of %(s)s s; try a longer run or looser limits") % {
            "s": match["s"]
        }
    match = _NO_BUNDLING.match(message)
    if match:
        text = (
            _(
                "no bundling meets every limit with every site bundled "
                "(bundle count, capacity, sites per bundle, distance, locks)"
            )
            if match["all"]
            else _(
                "no bundling meets every limit (bundle count, capacity, sites per bundle, distance, locks)"
            )
        )
        if match["floor"]:
            text += _(", with a bankability floor of %(floor)s CNY per bundle") % {"floor": match["floor"]}
        if match["group"]:
            text += _(", with one group per bundle")
        if match["k"]:
            text += _(" among each site's %(k)s nearest anchor sites (the others were not tried)") % {
                "k": match["k"]
            }
        if match["fen"]:
            text += _(" in the solver's model, which rounds values to whole fen (stricter than the rule)")
        return text
    match = _BLOCKED.match(message)
    if match:
        head = (
            _("every site must be bundled, but some cannot be: ")
            if match["why"] == "require_all"
            else _("a locked site cannot be bundled: ")
        )
        return head + _("; ").join(translate_reason(r) for r in match["reasons"].split("; "))
    return message
