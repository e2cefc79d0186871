"""Language switch, profile, and the administration pages for users and teams."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Team, User
from audit.models import ObjectChange
from core.testing import PASSWORD, assert_query_baseline

SET_LANGUAGE = reverse("accounts:set_language")
PROFILE = reverse("accounts:profile")
NEW_PASSWORD = "Quiet-harbour-7421"


@pytest.fixture(autouse=True)
def _english(client):
    """Assert on English messages whatever the default language (tests about language override it)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.mark.django_db
class TestSetLanguage:
    def test_logged_in_choice_is_saved_on_the_user_and_the_cookie(self, client_for, sales_a):
        client = client_for(sales_a)
        response = client.post(SET_LANGUAGE, {"language": "en", "next": "/accounts/profile/"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/profile/"
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        sales_a.refresh_from_db()
        assert sales_a.language == "en"
        assert 'lang="en"' in client.get(PROFILE).content.decode()

    def test_user_language_follows_to_another_device(self, client, sales_a):
        from django.test import Client

        first = Client()
        first.force_login(sales_a)
        first.post(SET_LANGUAGE, {"language": "en", "next": "/"})
        # A fresh client (no language cookie, Chinese browser) still gets English.
        client.force_login(sales_a)
        html = client.get(PROFILE, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
        assert 'lang="en"' in html
        assert "My profile" in html and "个人资料" not in html
        client.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/"})
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]  # only the saved choice is left
        sales_a.refresh_from_db()
        assert sales_a.language == "zh-hans"
        html = client.get(PROFILE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'lang="zh-hans"' in html
        assert "个人资料" in html  # "My profile", from the catalogue

    def test_logged_out_choice_sets_only_the_cookie(self, client):
        response = client.post(SET_LANGUAGE, {"language": "en", "next": reverse("accounts:login")})
        assert response["Location"] == reverse("accounts:login")
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        assert 'lang="en"' in client.get(reverse("accounts:login")).content.decode()

    def test_unknown_language_is_refused(self, client_for, sales_a):
        response = client_for(sales_a).post(SET_LANGUAGE, {"language": "fr", "next": "/"})
        assert response.status_code == 400
        sales_a.refresh_from_db()
        assert sales_a.language == ""

    @pytest.mark.parametrize("bad", ["https://evil.example/", "//evil.example"])
    def test_unsafe_next_goes_home(self, client, bad):
        response = client.post(SET_LANGUAGE, {"language": "en", "next": bad})
        assert response["Location"] == reverse("home")

    def test_get_is_refused(self, client):
        assert client.get(SET_LANGUAGE + "?language=en").status_code == 405


@pytest.mark.django_db
class TestProfile:
    def test_shows_details_and_token_fragment(self, client_for, sales_a, team_a):
        response = client_for(sales_a).get(PROFILE)
        assert response.status_code == 200
        html = response.content.decode()
        assert "sales_a" in html and "Team A" in html
        assert str(sales_a.role_label) in html
        assert list(response.context["tokens"]) == list(sales_a.api_tokens.all())
        assert "accounts/_tokens.html" in [t.name for t in response.templates]
        # Role and team are shown, never editable here.
        assert 'name="profile-role"' not in html and 'name="profile-team"' not in html

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(PROFILE)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    def test_edit_details_and_language(self, client_for, sales_a):
        client = client_for(sales_a)
        response = client.post(PROFILE, {
            "form": "profile", "profile-first_name": "伟", "profile-last_name": "张",
            "profile-email": "zw@example.cn", "profile-language": "en",
        })
        assert response.status_code == 302
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        sales_a.refresh_from_db()
        assert (sales_a.first_name, sales_a.email, sales_a.language) == ("伟", "zw@example.cn", "en")
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=sales_a.pk)
        assert entry.changes["language"] == ["", "en"]
        assert 'lang="en"' in client.get(PROFILE).content.decode()

    def test_browser_default_forgets_the_language(self, client_for, make_user):
        user = make_user("sales", username="eng", language="en")
        response = client_for(user).post(PROFILE, {"form": "profile", "profile-language": ""})
        assert response.status_code == 302
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
        user.refresh_from_db()
        assert user.language == ""

    def test_invalid_email_is_reported(self, client_for, sales_a):
        response = client_for(sales_a).post(PROFILE, {"form": "profile", "profile-email": "not-an-email"})
        assert response.status_code == 200
        assert response.context["profile_form"].errors["email"]

    def test_change_password_keeps_the_session(self, client_for, sales_a):
        client = client_for(sales_a)
        response = client.post(PROFILE, {
            "form": "password", "password-old_password": PASSWORD,
            "password-new_password1": NEW_PASSWORD, "password-new_password2": NEW_PASSWORD,
        })
        assert response.status_code == 302
        sales_a.refresh_from_db()
        assert sales_a.check_password(NEW_PASSWORD)
        assert client.get(PROFILE).status_code == 200  # still logged in
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=sales_a.pk)
        assert entry.note == "Password changed."
        assert NEW_PASSWORD not in str(entry.changes)

    def test_change_password_needs_the_old_one_and_a_strong_new_one(self, client_for, sales_a):
        client = client_for(sales_a)
        response = client.post(PROFILE, {
            "form": "password", "password-old_password": "wrong",
            "password-new_password1": NEW_PASSWORD, "password-new_password2": NEW_PASSWORD,
        })
        assert response.context["password_form"].errors["old_password"]
        response = client.post(PROFILE, {
            "form": "password", "password-old_password": PASSWORD,
            "password-new_password1": "12345678", "password-new_password2": "12345678",
        })
        assert "This password is too short" in response.content.decode()
        sales_a.refresh_from_db()
        assert sales_a.check_password(PASSWORD)


ADMIN_PAGES = ["accounts:user_list", "accounts:user_add", "accounts:team_list"]


@pytest.mark.django_db
class TestAdminOnly:
    @pytest.mark.parametrize("name", ADMIN_PAGES)
    @pytest.mark.parametrize("role_fixture", ["sales_a", "manager_a", "service_a", "analyst"])
    def test_others_get_403(self, request, client_for, name, role_fixture):
        user = request.getfixturevalue(role_fixture)
        client = client_for(user)
        assert client.get(reverse(name)).status_code == 403
        assert client.post(reverse(name), {"name": "X", "username": "x"}).status_code == 403

    def test_edit_is_admin_only(self, client_for, manager_a, sales_a):
        client = client_for(manager_a)
        url = reverse("accounts:user_edit", args=[sales_a.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"role": "admin", "is_active": "on"}).status_code == 403
        sales_a.refresh_from_db()
        assert sales_a.role == "sales"

    @pytest.mark.parametrize("name", ADMIN_PAGES)
    def test_anonymous_is_sent_to_login(self, client, name):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    @pytest.mark.parametrize("name", ADMIN_PAGES)
    def test_admin_may(self, client_for, admin_user, name):
        assert client_for(admin_user).get(reverse(name)).status_code == 200


@pytest.mark.django_db
class TestUserList:
    def test_lists_users_with_role_team_status(self, client_for, admin_user, sales_a, make_user):
        make_user("service", username="retired", is_active=False)
        html = client_for(admin_user).get(reverse("accounts:user_list")).content.decode()
        for text in ("sales_a", "Team A", "Sales", "retired", "Inactive"):
            assert text in html

    def test_filters(self, client_for, admin_user, sales_a, sales_b, make_user):
        make_user("service", username="retired", is_active=False)
        client = client_for(admin_user)
        url = reverse("accounts:user_list")
        html = client.get(url, {"team": sales_b.team_id}).content.decode()
        assert "sales_b" in html and "sales_a" not in html
        html = client.get(url, {"status": "inactive"}).content.decode()
        assert "retired" in html and "sales_a" not in html
        html = client.get(url, {"q": "SALES_A"}).content.decode()
        assert "sales_a" in html and "sales_b" not in html

    def test_query_count(self, client_for, admin_user, make_user, make_team):
        for i in range(30):
            make_user("sales", make_team(f"T{i}"))
        client = client_for(admin_user)
        response = assert_query_baseline("accounts.users.list", lambda: client.get(reverse("accounts:user_list")))
        assert response.status_code == 200


@pytest.mark.django_db
class TestUserAdd:
    URL = reverse("accounts:user_add")

    def _data(self, **extra):
        return {"username": "newbie", "first_name": "小明", "last_name": "王", "email": "xm@example.cn",
                "role": "service", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, **extra}

    def test_creates_user_and_audits(self, client_for, admin_user, team_a):
        response = client_for(admin_user).post(self.URL, self._data(team=team_a.pk))
        assert response.status_code == 302
        user = User.objects.get(username="newbie")
        assert (user.role, user.team, user.is_active) == ("service", team_a, True)
        assert user.check_password(NEW_PASSWORD)
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=user.pk, action="create")
        assert entry.user == admin_user
        assert entry.changes["team"] == [None, team_a.pk]
        assert "password" not in entry.changes

    def test_weak_password_is_refused_by_the_validators(self, client_for, admin_user):
        response = client_for(admin_user).post(self.URL, self._data(password="12345", password_confirm="12345"))
        assert response.status_code == 200
        assert response.context["form"].has_error("password", "password_too_short")
        assert "This password is too short" in response.content.decode()
        assert not User.objects.filter(username="newbie").exists()

    def test_password_messages_are_in_the_pages_language(self, client_for, admin_user):
        # Django 5.2's own zh_Hans catalogue lacks the "too short" message (accounts/django_messages.py).
        client = client_for(admin_user)
        data = self._data(password="12345", password_confirm="12345")
        zh = client.post(self.URL, data, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "密码长度太短。密码必须包含至少 10 个字符。" in zh
        assert "This password is too short" not in zh
        en = client.post(self.URL, data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "This password is too short. It must contain at least 10 characters." in en

    def test_password_similar_to_username_is_refused(self, client_for, admin_user):
        data = self._data(username="harbourmaster", password="harbourmaster1", password_confirm="harbourmaster1")
        response = client_for(admin_user).post(self.URL, data)
        assert response.context["form"].has_error("password", "password_too_similar")

    def test_passwords_must_match(self, client_for, admin_user):
        response = client_for(admin_user).post(self.URL, self._data(password_confirm="Other-pass-0000"))
        assert response.context["form"].errors["password_confirm"]

    def test_duplicate_username(self, client_for, admin_user, sales_a):
        response = client_for(admin_user).post(self.URL, self._data(username="SALES_A"))
        assert "already exists" in response.content.decode()


@pytest.mark.django_db
class TestUserEdit:
    def _post(self, client, user, **data):
        base = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
                "role": user.role, "team": user.team_id or "", "is_active": "on" if user.is_active else ""}
        base.update(data)
        return client.post(reverse("accounts:user_edit", args=[user.pk]), base)

    def test_form_shows_current_values(self, client_for, admin_user, sales_a):
        response = client_for(admin_user).get(reverse("accounts:user_edit", args=[sales_a.pk]))
        assert response.context["form"].initial["team"] == sales_a.team_id
        assert "sales_a" in response.content.decode()

    def test_team_change_moves_owned_customers_and_audits(self, client_for, admin_user, sales_a, team_b,
                                                          customer_a, make_customer):
        other = make_customer(sales_a, name="王芳")
        old_team = sales_a.team_id
        response = self._post(client_for(admin_user), sales_a, team=team_b.pk, role="manager")
        assert response.status_code == 302
        sales_a.refresh_from_db()
        customer_a.refresh_from_db()
        other.refresh_from_db()
        assert sales_a.team == team_b and sales_a.role == "manager"
        assert customer_a.team_id == team_b.pk and other.team_id == team_b.pk
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=sales_a.pk, action="update")
        assert entry.user == admin_user
        assert entry.changes == {"team": [old_team, team_b.pk], "role": ["sales", "manager"]}
        moved = ObjectChange.objects.filter(object_type="customers.customer", action="update", user=admin_user)
        assert sorted(moved.values_list("customer_id", flat=True)) == sorted([customer_a.pk, other.pk])
        assert all(m.changes == {"team": [old_team, team_b.pk]} for m in moved)

    def test_deactivate_blocks_login(self, client_for, admin_user, sales_a, client):
        response = self._post(client_for(admin_user), sales_a, is_active="")
        assert response.status_code == 302
        sales_a.refresh_from_db()
        assert sales_a.is_active is False
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=sales_a.pk)
        assert entry.changes == {"is_active": [True, False]}
        client.logout()
        client.post(reverse("accounts:login"), {"username": "sales_a", "password": PASSWORD})
        assert "_auth_user_id" not in client.session

    def test_admin_cannot_deactivate_or_demote_self(self, client_for, admin_user):
        client = client_for(admin_user)
        response = self._post(client, admin_user, is_active="")
        assert "You cannot deactivate your own account." in response.content.decode()
        response = self._post(client, admin_user, role="sales")
        assert "You cannot remove your own administrator role." in response.content.decode()
        admin_user.refresh_from_db()
        assert admin_user.is_active and admin_user.role == "admin"

    def test_admin_sets_a_new_password(self, client_for, admin_user, sales_a):
        response = self._post(client_for(admin_user), sales_a, new_password=NEW_PASSWORD,
                              new_password_confirm=NEW_PASSWORD)
        assert response.status_code == 302
        sales_a.refresh_from_db()
        assert sales_a.check_password(NEW_PASSWORD)

    def test_weak_new_password_changes_nothing(self, client_for, admin_user, sales_a, team_b):
        response = self._post(client_for(admin_user), sales_a, team=team_b.pk, new_password="123",
                              new_password_confirm="123")
        assert response.status_code == 200
        assert "This password is too short" in response.content.decode()
        sales_a.refresh_from_db()
        assert sales_a.team.name == "Team A"  # the whole edit was rolled back
        assert sales_a.check_password(PASSWORD)

    def test_form_explains_the_roles(self, client_for, admin_user, sales_a):
        response = client_for(admin_user).get(reverse("accounts:user_edit", args=[sales_a.pk]))
        rows = {str(r["role"]): r for r in response.context["roles"]}
        assert rows["Analyst"]["masked"] == ["ID number and birthday", "phone numbers"]
        assert "manage users and teams" in rows["Administrator"]["may"]
        assert rows["Service"]["may"] == ["add customers", "edit customers"]

    def test_unknown_user_is_404(self, client_for, admin_user):
        assert client_for(admin_user).get(reverse("accounts:user_edit", args=[99999])).status_code == 404


@pytest.mark.django_db
class TestTeams:
    URL = reverse("accounts:team_list")

    def test_lists_teams_with_manager_and_members(self, client_for, admin_user, manager_a, sales_a, team_a):
        team_a.manager = manager_a
        team_a.save()
        client = client_for(admin_user)
        response = assert_query_baseline("accounts.teams.list", lambda: client.get(self.URL))
        html = response.content.decode()
        assert "Team A" in html and "manager_a" in html
        row = next(r for r in response.context["rows"] if r["team"] == team_a)
        assert row["team"].member_count == 2

    def test_create_team_with_manager(self, client_for, admin_user, manager_a):
        response = client_for(admin_user).post(self.URL, {"new-name": "华东销售", "new-manager": manager_a.pk})
        assert response.status_code == 302
        team = Team.objects.get(name="华东销售")
        assert team.manager == manager_a
        assert ObjectChange.objects.filter(object_type="accounts.team", object_id=team.pk, action="create").exists()

    def test_duplicate_name_is_refused(self, client_for, admin_user, team_a):
        response = client_for(admin_user).post(self.URL, {"new-name": "team a"})
        assert response.status_code == 200
        assert "A team with this name already exists." in response.content.decode()

    def test_rename_and_set_manager(self, client_for, admin_user, team_a, manager_a):
        prefix = f"team{team_a.pk}"
        response = client_for(admin_user).post(
            self.URL, {"team": team_a.pk, f"{prefix}-name": "Team Alpha", f"{prefix}-manager": manager_a.pk}
        )
        assert response.status_code == 302
        team_a.refresh_from_db()
        assert (team_a.name, team_a.manager) == ("Team Alpha", manager_a)
        entry = ObjectChange.objects.get(object_type="accounts.team", object_id=team_a.pk, action="update")
        assert entry.changes == {"name": ["Team A", "Team Alpha"], "manager": [None, manager_a.pk]}

    def test_sales_user_cannot_be_team_manager(self, client_for, admin_user, team_a, sales_a):
        prefix = f"team{team_a.pk}"
        response = client_for(admin_user).post(
            self.URL, {"team": team_a.pk, f"{prefix}-name": "Team A", f"{prefix}-manager": sales_a.pk}
        )
        assert response.status_code == 200
        team_a.refresh_from_db()
        assert team_a.manager is None
