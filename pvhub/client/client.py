"""The client: one authenticated httpx session and a typed method per API operation it covers.

Requests carry what the caller gives: an API input model (sent as the fields that were set) or a
plain mapping (sent as it is), so the server alone decides what is valid and every refusal reads
the same, whoever sends it. Answers come back as the API's own output models; lists that the API
pages are walked page by page as an iterator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from pvhub.accounts.models import UserPublic
from pvhub.client.errors import error_for
from pvhub.construction.api import ConstructionOut
from pvhub.construction.schemas import MilestoneReport
from pvhub.economics.schemas import EconomicsPublic
from pvhub.estimates.models import EstimatePublic
from pvhub.register.models import (
    SiteCreate,
    SitePublic,
    SiteUpdate,
    SurfaceCreate,
    SurfacePublic,
    SurfaceUpdate,
)
from pvhub.tendering.api.tenders import BidReceiptPublic, TenderDetail, TenderSummary
from pvhub.tendering.models import BidCreate

M = TypeVar("M", bound=BaseModel)
Body = BaseModel | Mapping[str, Any]

API_PREFIX = "/api/v1"
PAGE_SIZE = 200  # the API's largest page is 500; 200 keeps one answer small


def _json(body: Body) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", exclude_unset=True)
    return dict(body)


class Client:
    """pvhub's REST API for one user. Use :meth:`login`, or pass a bearer token you already have."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + API_PREFIX, headers=headers, timeout=timeout, transport=transport
        )

    @classmethod
    def login(cls, base_url: str, email: str, password: str, **options: Any) -> Client:
        """A client signed in as ``email`` (``NotAuthenticated`` on a wrong password)."""
        client = cls(base_url, **options)
        token = client._call("POST", "/auth/token", data={"username": email, "password": password})
        client._http.headers["Authorization"] = f"Bearer {token['access_token']}"
        return client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, body: Body | None = None, **kwargs: Any) -> Any:
        """One request; the parsed JSON answer (None for 204), or the API's refusal raised."""
        if body is not None:
            kwargs["json"] = _json(body)
        response = self._http.request(method, path, **kwargs)
        if response.is_error:
            raise error_for(response)
        return None if response.status_code == 204 or not response.content else response.json()

    def _one(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate(self._call(method, path, **kwargs))

    def _pages(self, model: type[M], path: str, params: Mapping[str, Any], page_size: int) -> Iterator[M]:
        """Every item of a paged list, fetching the next page only when the caller gets there."""
        offset = 0
        query = {k: v for k, v in params.items() if v is not None}
        while True:
            page = self._call("GET", path, params={**query, "offset": offset, "limit": page_size})
            yield from (model.model_validate(item) for item in page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    # --- who am I ------------------------------------------------------------------------------------

    def me(self) -> UserPublic:
        return self._one(UserPublic, "GET", "/me")

    # --- the register --------------------------------------------------------------------------------

    def sites(self, *, page_size: int = PAGE_SIZE) -> Iterator[SitePublic]:
        """The sites the user may see (all for the office, its own for an owner)."""
        return self._pages(SitePublic, "/sites", {}, page_size)

    def site(self, site_id: int) -> SitePublic:
        return self._one(SitePublic, "GET", f"/sites/{site_id}")

    def create_site(self, site: SiteCreate | Mapping[str, Any]) -> SitePublic:
        return self._one(SitePublic, "POST", "/sites", body=site)

    def update_site(self, site_id: int, changes: SiteUpdate | Mapping[str, Any]) -> SitePublic:
        return self._one(SitePublic, "PATCH", f"/sites/{site_id}", body=changes)

    def delete_site(self, site_id: int) -> None:
        self._call("DELETE", f"/sites/{site_id}")

    def surfaces(
        self,
        *,
        site_id: int | None = None,
        kind: str | None = None,
        status: str | None = None,
        subdistrict: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[SurfacePublic]:
        params = {"site": site_id, "kind": kind, "status": status, "subdistrict": subdistrict}
        return self._pages(SurfacePublic, "/surfaces", params, page_size)

    def surface(self, surface_id: int) -> SurfacePublic:
        return self._one(SurfacePublic, "GET", f"/surfaces/{surface_id}")

    def create_surface(self, surface: SurfaceCreate | Mapping[str, Any]) -> SurfacePublic:
        return self._one(SurfacePublic, "POST", "/surfaces", body=surface)

    def update_surface(self, surface_id: int, changes: SurfaceUpdate | Mapping[str, Any]) -> SurfacePublic:
        return self._one(SurfacePublic, "PATCH", f"/surfaces/{surface_id}", body=changes)

    def submit_surface(self, surface_id: int) -> SurfacePublic:
        return self._one(SurfacePublic, "POST", f"/surfaces/{surface_id}/submit")

    def withdraw_surface(self, surface_id: int) -> SurfacePublic:
        return self._one(SurfacePublic, "POST", f"/surfaces/{surface_id}/withdraw")

    # --- estimates and economics ---------------------------------------------------------------------

    def estimate(self, surface_id: int) -> EstimatePublic:
        return self._one(EstimatePublic, "GET", f"/surfaces/{surface_id}/estimate")

    def site_economics(self, site_id: int, *, model: str | None = None) -> EconomicsPublic:
        params = {"model": model} if model else {}
        return self._one(EconomicsPublic, "GET", f"/sites/{site_id}/economics", params=params)

    def surface_economics(self, surface_id: int, *, model: str | None = None) -> EconomicsPublic:
        params = {"model": model} if model else {}
        return self._one(EconomicsPublic, "GET", f"/surfaces/{surface_id}/economics", params=params)

    # --- tenders and construction (suppliers) --------------------------------------------------------

    def tenders(self) -> list[TenderSummary]:
        return TypeAdapter(list[TenderSummary]).validate_python(self._call("GET", "/tenders"))

    def tender(self, tender_id: int) -> TenderDetail:
        return self._one(TenderDetail, "GET", f"/tenders/{tender_id}")

    def submit_bid(self, tender_id: int, bid: BidCreate | Mapping[str, Any]) -> BidReceiptPublic:
        """A sealed bid (or its new version); keep the receipt."""
        return self._one(BidReceiptPublic, "POST", f"/tenders/{tender_id}/bids", body=bid)

    def withdraw_bid(self, bid_id: int) -> BidReceiptPublic:
        return self._one(BidReceiptPublic, "POST", f"/bids/{bid_id}/withdraw")

    def milestones(self, surface_id: int) -> ConstructionOut:
        return self._one(ConstructionOut, "GET", f"/surfaces/{surface_id}/milestones")

    def report_milestone(
        self, surface_id: int, report: MilestoneReport | Mapping[str, Any]
    ) -> ConstructionOut:
        return self._one(ConstructionOut, "POST", f"/surfaces/{surface_id}/milestones", body=report)
