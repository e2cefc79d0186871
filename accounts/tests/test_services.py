"""Services for users, teams and login throttling."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import LoginFailure, Team, User
from accounts.services import (
    login_failure_record,
    login_failures_clear,
    login_locked_until,
    team_create,
    team_update,
    user_create,
    user_password_set,
    user_profile_update,
    user_set_language,
    user_update,
)
from audit.models import ObjectChange
from customers.services import customer_delete

STRONG = "Quiet-harbour-7421"


def _errors(exc: ValidationError) -> dict:
    return {k: [e.code for e in v] for k, v in exc.error_dict.items()}


@pytest.mark.django_db
class TestUserCreate:
    def test_creates_and_audits(self, admin_user, team_a):
        user = user_create(actor=admin_user, data={"username": "li", "role": "manager", "team": team_a.pk},
                           password=STRONG)
        assert (user.role, user.team, user.check_password(STRONG)) == ("manager", team_a, True)
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=user.pk)
        assert entry.action == "create" and entry.user == admin_user and entry.source == "cli"
        assert entry.changes["role"] == [None, "manager"]

    @pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
    def test_only_administrators(self, make_user, role):
        with pytest.raises(PermissionDenied):
            user_create(actor=make_user(role), data={"username": "li"}, password=STRONG)
        assert not User.objects.filter(username="li").exists()

    def test_validates(self, admin_user, sales_a):
        with pytest.raises(ValidationError) as exc:
            user_create(actor=admin_user, data={"username": "li"}, password="123")
        assert {"password_too_short", "password_entirely_numeric"} <= set(_errors(exc.value)["password"])
        with pytest.raises(ValidationError) as exc:
            user_create(actor=admin_user, data={"username": "Sales_A"}, password=STRONG)
        assert "username" in exc.value.error_dict
        with pytest.raises(ValidationError) as exc:
            user_create(actor=admin_user, data={"username": "li", "role": "boss"}, password=STRONG)
        assert "role" in exc.value.error_dict
        with pytest.raises(ValidationError) as exc:
            user_create(actor=admin_user, data={"username": "li", "team": 999999}, password=STRONG)
        assert "team" in exc.value.error_dict
        with pytest.raises(ValidationError) as exc:
            user_create(actor=admin_user, data={"username": "li", "is_superuser": True}, password=STRONG)
        assert "is_superuser" in exc.value.error_dict
        assert not User.objects.filter(username="li").exists()


@pytest.mark.django_db
class TestUserUpdate:
    def test_team_change_moves_customers_in_one_update(
        self, admin_user, sales_a, sales_b, make_team, make_customer, django_assert_max_num_queries
    ):
        team_c = make_team("Team C")
        old_team = sales_a.team_id
        mine = [make_customer(sales_a) for _ in range(3)]
        gone = make_customer(sales_a)
        customer_delete(actor=admin_user, customer_id=gone.pk)
        theirs = make_customer(sales_b)
        # Fixed cost whatever the number of customers: no per-customer statement.
        with django_assert_max_num_queries(11) as ctx:
            user_update(actor=admin_user, user_id=sales_a.pk, data={"team": team_c})
        updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "customers_customer"')]
        assert len(updates) == 1
        for c in [*mine, gone]:
            c.refresh_from_db()
            assert c.team_id == team_c.pk
        theirs.refresh_from_db()
        assert theirs.team_id == sales_b.team_id  # not sales_a's: untouched
        trail = ObjectChange.objects.filter(object_type="customers.customer", action="update")
        assert trail.count() == 4
        assert all(e.changes == {"team": [old_team, team_c.pk]} for e in trail)
        assert "sales_a" in trail.first().note

    def test_query_count_does_not_grow_with_customers(self, admin_user, sales_a, team_b, make_customer,
                                                      django_assert_max_num_queries):
        for _ in range(12):
            make_customer(sales_a)
        with django_assert_max_num_queries(11):
            user_update(actor=admin_user, user_id=sales_a.pk, data={"team": team_b.pk})

    def test_leaving_all_teams(self, admin_user, sales_a, customer_a):
        # A salesperson needs a team while active (tests/test_team_required.py): deactivated, they may leave it.
        user_update(actor=admin_user, user_id=sales_a.pk, data={"team": None, "is_active": False})
        customer_a.refresh_from_db()
        assert customer_a.team_id is None

    def test_audits_before_and_after(self, admin_user, sales_a, team_b):
        old_team = sales_a.team_id
        user_update(actor=admin_user, user_id=sales_a.pk,
                    data={"role": "service", "team": team_b, "is_active": False, "email": "a@b.cn"})
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=sales_a.pk)
        assert entry.changes == {
            "role": ["sales", "service"], "team": [old_team, team_b.pk], "is_active": [True, False],
            "email": ["", "a@b.cn"],
        }

    def test_no_change_writes_nothing(self, admin_user, sales_a):
        user_update(actor=admin_user, user_id=sales_a.pk, data={"role": "sales"})
        assert not ObjectChange.objects.filter(object_type="accounts.user").exists()

    def test_deactivated_user_keeps_customers(self, admin_user, sales_a, customer_a):
        user_update(actor=admin_user, user_id=sales_a.pk, data={"is_active": False})
        customer_a.refresh_from_db()
        assert customer_a.owner_id == sales_a.pk

    def test_only_administrators(self, manager_a, sales_a):
        with pytest.raises(PermissionDenied):
            user_update(actor=manager_a, user_id=sales_a.pk, data={"role": "admin"})

    def test_refuses_fields_it_does_not_own(self, admin_user, sales_a):
        with pytest.raises(ValidationError) as exc:
            user_update(actor=admin_user, user_id=sales_a.pk, data={"is_superuser": True})
        assert "is_superuser" in exc.value.error_dict

    def test_self_lockout_is_refused(self, admin_user):
        with pytest.raises(ValidationError):
            user_update(actor=admin_user, user_id=admin_user.pk, data={"is_active": False})
        with pytest.raises(ValidationError):
            user_update(actor=admin_user, user_id=admin_user.pk, data={"role": "manager"})


@pytest.mark.django_db
class TestOwnAccount:
    def test_profile_update(self, sales_a):
        user_profile_update(actor=sales_a, data={"first_name": "伟", "language": "en"})
        assert sales_a.language == "en"  # the caller's instance is refreshed
        sales_a.refresh_from_db()
        assert (sales_a.first_name, sales_a.language) == ("伟", "en")
        with pytest.raises(ValidationError):
            user_profile_update(actor=sales_a, data={"role": "admin"})
        with pytest.raises(ValidationError):
            user_profile_update(actor=sales_a, data={"language": "fr"})

    def test_set_language(self, sales_a):
        user_set_language(actor=sales_a, language="en")
        assert User.objects.get(pk=sales_a.pk).language == "en"
        with pytest.raises(ValidationError):
            user_set_language(actor=sales_a, language="xx")

    def test_password_set_by_admin(self, admin_user, sales_a, manager_a):
        with pytest.raises(PermissionDenied):
            user_password_set(actor=manager_a, user_id=sales_a.pk, password=STRONG)
        with pytest.raises(ValidationError):
            user_password_set(actor=admin_user, user_id=sales_a.pk, password="password")
        user_password_set(actor=admin_user, user_id=sales_a.pk, password=STRONG)
        sales_a.refresh_from_db()
        assert sales_a.check_password(STRONG)
        entry = ObjectChange.objects.get(object_type="accounts.user", object_id=sales_a.pk)
        assert entry.user == admin_user and STRONG not in str(entry.changes) + entry.note


@pytest.mark.django_db
class TestTeams:
    def test_create_and_update_audited(self, admin_user, manager_a):
        team = team_create(actor=admin_user, name="  华南  ", manager=manager_a)
        assert team.name == "华南" and team.manager == manager_a
        team_update(actor=admin_user, team_id=team.pk, data={"name": "华南区", "manager": None})
        team.refresh_from_db()
        assert (team.name, team.manager) == ("华南区", None)
        entries = ObjectChange.objects.filter(object_type="accounts.team", object_id=team.pk).order_by("id")
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].changes == {"name": ["华南", "华南区"], "manager": [manager_a.pk, None]}

    def test_validation(self, admin_user, team_a, sales_a, make_user):
        with pytest.raises(ValidationError) as exc:
            team_create(actor=admin_user, name="TEAM A")
        assert "name" in exc.value.error_dict
        with pytest.raises(ValidationError):
            team_create(actor=admin_user, name=" ")
        with pytest.raises(ValidationError) as exc:
            team_update(actor=admin_user, team_id=team_a.pk, data={"manager": sales_a})
        assert "manager" in exc.value.error_dict
        retired = make_user("manager", is_active=False)
        with pytest.raises(ValidationError):
            team_update(actor=admin_user, team_id=team_a.pk, data={"manager": retired.pk})
        assert Team.objects.count() == 1

    def test_only_administrators(self, manager_a, team_a):
        with pytest.raises(PermissionDenied):
            team_create(actor=manager_a, name="X")
        with pytest.raises(PermissionDenied):
            team_update(actor=manager_a, team_id=team_a.pk, data={"name": "Y"})


@pytest.mark.django_db
class TestLoginThrottle:
    def test_locks_after_max_failures_for_username(self):
        for _ in range(settings.KEHU_LOGIN_MAX_FAILURES - 1):
            login_failure_record(username="li", ip="10.0.0.1")
        assert login_locked_until(username="li", ip="10.0.0.2") is None
        login_failure_record(username="li", ip="10.0.0.1")
        until = login_locked_until(username="LI", ip="10.0.0.2")
        window = timedelta(seconds=settings.KEHU_LOGIN_FAILURE_WINDOW_SECONDS)
        assert until is not None and timezone.now() + window - timedelta(seconds=5) < until
        assert login_locked_until(username="wang", ip="10.0.0.2") is None

    def test_locks_after_max_failures_for_address(self):
        limit = settings.KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS
        assert limit > settings.KEHU_LOGIN_MAX_FAILURES
        for i in range(limit - 1):
            login_failure_record(username=f"user{i}", ip="10.0.0.1")
        assert login_locked_until(username="anyone", ip="10.0.0.1") is None
        login_failure_record(username="last", ip="10.0.0.1")
        assert login_locked_until(username="anyone", ip="10.0.0.1") is not None
        assert login_locked_until(username="anyone", ip="10.0.0.9") is None
        assert login_locked_until(username="anyone", ip=None) is None

    def test_account_limit_does_not_lock_the_address(self):
        for _ in range(settings.KEHU_LOGIN_MAX_FAILURES):
            login_failure_record(username="li", ip="10.0.0.1")
        assert login_locked_until(username="li", ip="10.0.0.1") is not None
        assert login_locked_until(username="wang", ip="10.0.0.1") is None

    def test_lock_lifts_when_the_oldest_failure_leaves_the_window(self):
        window = timedelta(seconds=settings.KEHU_LOGIN_FAILURE_WINDOW_SECONDS)
        now = timezone.now()
        for minutes in (14, 10, 5, 2, 1):
            LoginFailure.objects.create(username="li", at=now - timedelta(minutes=minutes))
        until = login_locked_until(username="li", ip=None)
        assert abs((until - (now - timedelta(minutes=14) + window)).total_seconds()) < 1
        LoginFailure.objects.filter(at__lt=now - timedelta(minutes=13)).update(at=now - window - timedelta(seconds=1))
        assert login_locked_until(username="li", ip=None) is None

    def test_record_prunes_old_rows_and_clear_forgets_username(self):
        old = timezone.now() - timedelta(seconds=settings.KEHU_LOGIN_FAILURE_WINDOW_SECONDS + 60)
        LoginFailure.objects.create(username="old", at=old)
        login_failure_record(username="Li", ip="10.0.0.1")
        assert list(LoginFailure.objects.values_list("username", flat=True)) == ["li"]
        login_failures_clear(username="LI")
        assert not LoginFailure.objects.exists()


def test_full_name_reads_in_the_names_own_order(make_user):
    assert make_user(first_name="敏", last_name="张").get_full_name() == "张敏"
    assert str(make_user(first_name="Anna", last_name="Smith")) == "Anna Smith"
    assert str(make_user(username="solo")) == "solo"
