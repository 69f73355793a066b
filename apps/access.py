"""Who may see what: the pages of each role and the brand scope of every brand-grained query.

Only two marts have a brand dimension (`kpi_mobile_share_daily` and `dim_brands`); everything
else (overview, sales by terminal, content, experiments, omnichannel, data health) is
marketplace-wide. A brand manager therefore sees only brand-grained numbers: the Overview and
Mobile pages rebuilt from their brands' rows, and none of the marketplace-wide pages, which are
not even registered in their navigation (a URL to them falls back to the default page).

`BrandScope` is the only way queries learn which brands to read, and it is built here from the
signed-in user, never from widgets or the URL alone: a brand manager's selection is intersected
with their own brands, so no input can widen it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from apps.auth import User

# Page ids (their url paths) in navigation order.
ALL_PAGES: tuple[str, ...] = (
    "overview",
    "mobile",
    "content",
    "experiments",
    "omnichannel",
    "data_health",
)
BRAND_MANAGER_PAGES: tuple[str, ...] = ("overview", "mobile")


@dataclass(frozen=True)
class BrandScope:
    """The brands and categories a query may read. `None` means every one (executives)."""

    brands: tuple[str, ...] | None
    categories: tuple[str, ...] | None = None

    @property
    def is_restricted(self) -> bool:
        return self.brands is not None


def pages_for(user: User) -> tuple[str, ...]:
    return ALL_PAGES if user.is_executive else BRAND_MANAGER_PAGES


def may_see(user: User, page: str) -> bool:
    return page in pages_for(user)


def allowed_brands(user: User, known_brands: Iterable[str]) -> tuple[str, ...]:
    """The brands this user may pick from, in the order of `known_brands`."""
    known = list(known_brands)
    if user.is_executive:
        return tuple(known)
    own = set(user.brands)
    return tuple(b for b in known if b in own)


def scope_for(
    user: User, selected_brands: Iterable[str] = (), selected_categories: Iterable[str] = ()
) -> BrandScope:
    """The brand scope of a query for `user` given what the filters ask for.

    Executives: the selection, or every brand when nothing is selected. Brand managers: the
    selection intersected with their own brands; an empty or foreign selection falls back to
    all of their own brands (never to "everything").
    """
    selected = tuple(dict.fromkeys(str(b) for b in selected_brands))
    categories = tuple(dict.fromkeys(str(c) for c in selected_categories)) or None
    if user.is_executive:
        return BrandScope(brands=selected or None, categories=categories)
    own = tuple(user.brands)
    chosen = tuple(b for b in selected if b in own)
    return BrandScope(brands=chosen or own, categories=categories)
