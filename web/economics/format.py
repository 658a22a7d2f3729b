"""How money, shares and years read on the pages, in the page's language.

Sums are yuan with thousands separators; in Chinese a sum of ten thousand yuan or more reads in 万元
(one decimal), as Chinese project documents and bills state investments, smaller sums in 元. Shares
(IRR, self-use, discounts) are stored as fractions 0–1 and shown as per cent. A figure that does not
exist (payback never reached, IRR undefined) shows as an em dash; the page says why in its title.
"""

from __future__ import annotations

import math

from web import i18n

DASH = "—"
#: 万 (ten thousand): the unit Chinese documents state sums of money in.
WAN = 10_000.0


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def cny(value: float | None) -> str:
    """A sum of money: ``CNY 1,234,567`` in English; ``123.5 万元`` or ``980 元`` in Chinese."""
    if value is None or _missing(value):
        return DASH
    if i18n.current_locale() == "en":
        sign = "−" if value < 0 else ""
        return f"{sign}CNY {abs(value):,.0f}"
    if abs(value) >= WAN:
        return f"{value / WAN:,.1f} 万元"
    return f"{value:,.0f} 元"


def cny_per_kwh(value: float | None) -> str:
    """A price of energy to four decimals at most, two at least, as tariffs are stated (the export
    price is 0.4155): ``0.4155 CNY/kWh``, ``0.85 元/kWh``."""
    if value is None or _missing(value):
        return DASH
    unit = "CNY/kWh" if i18n.current_locale() == "en" else "元/kWh"
    whole, _dot, decimals = f"{value:,.4f}".partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')} {unit}"


def share(value: float | None, digits: int = 1) -> str:
    """A fraction as per cent: ``0.0712`` → ``7.1 %``."""
    if value is None or _missing(value):
        return DASH
    return f"{value * 100:,.{digits}f} %"


def years(value: float | None) -> str:
    """A span in years, one decimal: ``7.3 years`` / ``7.3 年``."""
    if value is None or _missing(value):
        return DASH
    return i18n.gettext("%(n)s years") % {"n": f"{value:,.1f}"}
