"""What a user may do now with a tender, its bids and its awards: the actions the pages offer.

An action is offered exactly when the service would accept it in the tender's present state: the
guard functions that refuse it in the service (``check_*`` in :mod:`~pvhub.tendering.tenders`,
:mod:`~pvhub.tendering.bids`, :mod:`~pvhub.tendering.documents` and
:mod:`~pvhub.tendering.awards`) and the same :mod:`pvhub.core.policy` action decide it here, so a page
cannot offer what the service then refuses (e.g. *cancel* once the winners are published for 公示).
What the user types and what they must complete first elsewhere — a deadline far enough ahead
(the tender form), the supplier's annual capacity (its profile) — is checked when the action is
tried, and the refusal says what to do. (The award optimiser is offered once every valid bid is
scored; until then the award page says how many are not.) Where the page shows a list — the awards
of :func:`~pvhub.tendering.awards.overview` — the guard runs on that list, so the page offers what
it shows even when a job changes the tender between two of its reads.

Actions are plain names:

- on the tender: ``publish``, ``edit`` (its conditions), ``attach`` (a document), ``cancel``,
  ``bid``, ``scoring`` (the office's opening and scoring page), ``awards`` (the award page),
  ``run_award``, ``publish_winners``;
- on a bid version: ``withdraw``, ``reconfirm`` (its supplier), ``score`` (the office);
- on a lot: ``override``; on an award: ``override`` (its lot's, while it stands), ``confirm``,
  ``object``, ``decline``; on an objection: ``answer``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.errors import DomainError
from pvhub.tendering import awards, tenders
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import documents as tenders_documents
from pvhub.tendering.enums import TenderStatus
from pvhub.tendering.models import Bid, Tender, TenderLot
from pvhub.tendering.tenders import utc_now

Check = Callable[[], object]


def allowed(*checks: Check) -> bool:
    """Whether the guards of one action, run in order, let it through."""
    try:
        for check in checks:
            check()
    except DomainError:
        return False
    return True


def _offered(actions: dict[str, tuple[Check, ...]]) -> frozenset[str]:
    return frozenset(name for name, checks in actions.items() if allowed(*checks))


@dataclass(frozen=True)
class TenderActions:
    """What the user may do on the tender page and the scoring page."""

    tender: frozenset[str]
    bids: dict[int, frozenset[str]] = field(default_factory=dict)  # bid version id → its actions

    def on_bid(self, bid_id: int | None) -> frozenset[str]:
        return self.bids.get(bid_id or 0, frozenset())


def tender_actions(
    *, session: Session, user: User, tender: Tender, now: datetime | None = None
) -> TenderActions:
    """The actions ``user`` may take now on ``tender`` (which the caller let them read) and on its
    current bid versions they may act on: their own as a supplier, every one as the office."""
    now = utc_now(now)
    office = partial(policy.require, user, "tender:manage")
    supplier = partial(policy.require, user, "bid:submit")
    takes_bids = partial(tenders_bids.check_takes_bids, tender, now)
    assert tender.id is not None
    on_tender = _offered(
        {
            "publish": (office, partial(tenders.check_publishable, tender)),
            "edit": (office, partial(tenders.check_conditions_changeable, tender, now)),
            "attach": (office, partial(tenders_documents.check_documents_changeable, tender, now)),
            "cancel": (office, partial(tenders.check_cancellable, session, tender)),
            "bid": (supplier, takes_bids),
        }
    )
    is_office = policy.can(user, "tender:manage")
    if is_office and tender.status not in (TenderStatus.draft, TenderStatus.cancelled):
        on_tender |= {"scoring", "awards"}  # the office's pages follow a tender from publication
    elif not is_office and allowed(partial(awards.check_awardable, tender, now)):
        on_tender |= {"awards"}  # the winners, once the bids opened
    bids: dict[int, frozenset[str]] = {}
    if is_office:
        for bid in _current_bids(session, tender.id):
            assert bid.id is not None
            bids[bid.id] = _offered(
                {"score": (partial(tenders_bids.check_scorable, session, tender, bid, now),)}
            )
    elif policy.can(user, "bid:submit"):
        for bid in _current_bids(session, tender.id, supplier_id=user.organisation_id):
            assert bid.id is not None
            bids[bid.id] = _offered(
                {
                    "withdraw": (takes_bids, partial(tenders_bids.check_withdrawable, bid)),
                    "reconfirm": (takes_bids, partial(tenders_bids.check_reconfirmable, bid)),
                }
            )
    return TenderActions(on_tender, bids)


def _current_bids(session: Session, tender_id: int, supplier_id: int | None = None) -> list[Bid]:
    query = (
        select(Bid)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .where(TenderLot.tender_id == tender_id, col(Bid.current).is_(True))
    )
    if supplier_id is not None:
        query = query.where(Bid.supplier_id == supplier_id)
    return list(session.exec(query).all())


@dataclass(frozen=True)
class AwardActions:
    """What the user may do on the award page."""

    tender: frozenset[str]
    lots: dict[int, frozenset[str]] = field(default_factory=dict)
    awards: dict[int, frozenset[str]] = field(default_factory=dict)
    objections: dict[int, frozenset[str]] = field(default_factory=dict)

    def on_lot(self, lot_id: int | None) -> frozenset[str]:
        return self.lots.get(lot_id or 0, frozenset())

    def on_award(self, award_id: int | None) -> frozenset[str]:
        return self.awards.get(award_id or 0, frozenset())

    def on_objection(self, objection_id: int | None) -> frozenset[str]:
        return self.objections.get(objection_id or 0, frozenset())


def award_actions(
    *,
    session: Session,
    user: User,
    overview: awards.AwardOverview,
    lot_ids: Iterable[int],
    now: datetime | None = None,
) -> AwardActions:
    """The actions ``user`` may take now on the award page of ``overview``'s tender: on the tender,
    on each of ``lot_ids`` (its lots), on each award the overview shows and on their objections."""
    now = utc_now(now)
    tender = overview.tender
    assert tender.id is not None
    office = partial(policy.require, user, "tender:manage")
    awardable = partial(awards.check_awardable, tender, now)
    on_tender = _offered(
        {
            "run_award": (
                partial(policy.require, user, "award:run"),
                partial(awards.check_can_run, session, tender, now),
                partial(awards.check_scored, session, tender),
            ),
            "publish_winners": (
                office,
                awardable,
                partial(awards.check_publicity_startable, [view.award for view in overview.awards]),
            ),
        }
    )
    on_lots = {
        lot_id: _offered(
            {"override": (office, awardable, partial(awards.check_overridable, session, lot_id))}
        )
        for lot_id in lot_ids
    }
    on_awards: dict[int, frozenset[str]] = {}
    on_objections: dict[int, frozenset[str]] = {}
    for view in overview.awards:
        award = view.award
        assert award.id is not None
        overridable = award.status in awards.LIVE and "override" in on_lots.get(award.lot_id, ())
        on_awards[award.id] = frozenset({"override"} if overridable else ()) | _offered(
            {
                "confirm": (office, partial(awards.check_confirmable, session, award, now)),
                "object": (
                    partial(policy.require, user, "award:object"),
                    partial(awards.check_objectable, session, user, award, now),
                ),
                "decline": (
                    partial(policy.require, user, "award:decline"),
                    partial(awards.check_declinable, session, user, award),
                ),
            }
        )
        for objection in view.objections:
            assert objection.id is not None
            on_objections[objection.id] = _offered(
                {"answer": (office, partial(awards.check_answerable, objection))}
            )
    return AwardActions(on_tender, on_lots, on_awards, on_objections)
