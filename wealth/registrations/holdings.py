"""The holdings part's registrations: the amounts masked with the customer's assets (D12), the card's
Wealth tab, the FX rates menu entry, the home page's maturities, the importer and the demo data."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from accounts.roles import Sensitive
    from core import registry
    from core.masking import SEARCH_NEVER, mask_amount
    from core.masking import register as register_sensitive
    from core.navigation import NavItem, add_flag, add_item
    from wealth import demo_holdings, selectors_holdings, services_holdings, views_holdings
    from wealth.models import Holding

    # A holding's amount is an asset: the roles that see the customer's assets masked see it masked,
    # and may not write it (so neither its currency, which changes only with it).
    register_sensitive(Holding, "amount", group=Sensitive.ASSETS, mask=mask_amount, search=SEARCH_NEVER,
                       locked=("currency",))
    registry.add("card_tabs", views_holdings.card_tabs)
    registry.add("home_panels", selectors_holdings.home_panels)
    registry.add("demo_generators", demo_holdings.generate)
    # FX rates: administrators keep them (a menu entry for them); everyone reads the page.
    add_flag("fx_rates", services_holdings.may_manage_fx_rates)
    add_item(NavItem("fx_rates", _("FX rates"), "wealth:fx_rate_list", order=95, needs="fx_rates",
                     current_url_names=frozenset({"fx_rate_list"})))
