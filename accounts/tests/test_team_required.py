"""Managers, sales and service staff work in a team: a user of those roles without one is refused by
accounts.services (where an administrator sets role, team or active flag) and on the add page;
administrators and analysts need none; a deactivated user may be left without."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.services import user_create, user_update

pytestmark = pytest.mark.django_db
PASSWORD = "Kehu-test-pass-2026"


@pytest.mark.parametrize("role", ["sales", "service", "manager"])
def test_team_roles_need_a_team(admin_user, role):
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        user_create(actor=admin_user, data={"username": "newbie", "role": role}, password=PASSWORD)
    assert "choose the team" in exc.value.message_dict["team"][0]
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_other_roles_need_none(admin_user, role):
    assert user_create(actor=admin_user, data={"username": f"u-{role}", "role": role}, password=PASSWORD).pk


def test_removing_the_team_of_a_salesperson_is_refused_unless_deactivated(admin_user, sales_a):
    with pytest.raises(ValidationError):
        user_update(actor=admin_user, user_id=sales_a.pk, data={"team": None})
    user_update(actor=admin_user, user_id=sales_a.pk, data={"team": None, "is_active": False})
    assert User.objects.get(pk=sales_a.pk).team is None


def test_the_add_page_says_so(client_for, admin_user):
    response = client_for(admin_user).post(reverse("accounts:user_add"), {
        "username": "newbie", "first_name": "小明", "last_name": "王", "email": "xm@example.cn", "role": "sales",
        "password": PASSWORD, "password_confirm": PASSWORD,
    }, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.context["form"].errors["team"]
    assert "团队" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()
