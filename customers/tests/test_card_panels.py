"""The analytics panels of the card's profile tab load as one fragment after the card."""

from django.urls import reverse

from core import registry
from core.timeline import PANELS, CardPanel


def _panels_url(customer):
    return reverse("customers:customer_detail", args=[customer.pk]) + "?part=panels"


def test_card_asks_for_its_panels_and_the_fragment_renders_every_contributor(client_for, sales_a, customer_a):
    html = client_for(sales_a).get(reverse("customers:customer_detail", args=[customer_a.pk])).content.decode()
    assert f'hx-get="{_panels_url(customer_a).replace("&", "&amp;")}"' in html
    assert 'hx-trigger="load"' in html
    fragment = client_for(sales_a).get(_panels_url(customer_a), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    keys = {p.key for contributor in registry.get_all(PANELS) for p in contributor(sales_a, customer_a.pk)}
    for key in keys:  # whatever the installed apps contribute is in the fragment
        assert f"panel-{key}" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_fragment_uses_the_registered_panels(client_for, sales_a, customer_a, monkeypatch):
    seen = []

    def contributor(user, customer_id):
        seen.append((user.pk, customer_id))
        return [CardPanel(key="probe", title="Probe panel", template="customers/_field.html")]

    monkeypatch.setitem(registry._lists, PANELS, [contributor])
    body = client_for(sales_a).get(_panels_url(customer_a)).content.decode()
    assert seen == [(sales_a.pk, customer_a.pk)]
    assert "panel-probe" in body and "Probe panel" in body


def test_fragment_of_another_teams_customer_is_not_found(client_for, sales_b, customer_a):
    assert client_for(sales_b).get(_panels_url(customer_a)).status_code == 404
