"""The demo dataset (`kehu demo`): size, realism, reproducibility, consistency and safety."""

import re
import secrets
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from accounts.models import Team, User
from audit.models import ObjectChange
from core.startup import production_problems
from customers.demo import (
    DEMO_PASSWORD,
    SURNAMES,
    TEAM_PLANS,
    DemoGenerator,
    Owner,
)
from customers.idnumbers import id_check_digit, id_number_valid
from customers.models import Contact, Customer, FamilyMember
from customers.search import name_keys, phone_digits

N = 300
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def demo(**options):
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def loaded(db):
    return demo(customers=N, seed=7)


def snapshot():
    return list(
        Customer.objects.order_by("id").values_list(
            "name", "phone", "email", "id_number", "city", "owner__username", "birthday", "assets", "kind"
        )
    )


def test_generates_the_requested_customers_with_teams_users_and_logins(loaded):
    assert Customer.objects.count() == N
    assert Team.objects.count() == len(TEAM_PLANS) == 5
    users = User.objects.filter(is_demo=True)
    roles = Counter(users.values_list("role", flat=True))
    assert roles["admin"] == 1 and roles["analyst"] == 1 and roles["manager"] == 5
    assert roles["sales"] >= 5 and roles["service"] >= 5
    for plan in TEAM_PLANS:
        team = Team.objects.get(name=plan.name)
        assert team.manager.username == plan.manager[0]
        assert 2 <= team.members.exclude(role="manager").count() <= 4
    # The logins table names every role with the published password.
    for username in ("admin", "manager1", "sales1", "service1", "analyst"):
        assert re.search(rf"^\s+{username}\s", loaded, re.M)
    assert DEMO_PASSWORD in loaded
    assert str(User.objects.get(username="sales1")) == "王磊"  # family name first, as users read it
    assert str(User.objects.get(username="manager5")) == "Grace Liu"


def test_people_organisations_contacts_and_family(loaded):
    kinds = Counter(Customer.objects.values_list("kind", flat=True))
    assert 0.72 * N <= kinds["person"] <= 0.88 * N
    orgs = Customer.objects.filter(kind="organisation")
    per_org = Counter(Contact.objects.values_list("customer_id", flat=True))
    assert set(per_org) == set(orgs.values_list("id", flat=True))  # every organisation has contacts
    assert all(1 <= n <= 5 for n in per_org.values())
    key = Contact.objects.filter(is_key_person=True)
    assert key.exists() and all(c.relationship_score is not None for c in key)
    with_family = FamilyMember.objects.values("customer_id").distinct().count()
    assert 0.25 * kinds["person"] <= with_family <= 0.55 * kinds["person"]
    assert not FamilyMember.objects.filter(customer__kind="organisation").exists()
    assert orgs.exclude(legal_representative="").count() == orgs.count()
    assert orgs.filter(assets__isnull=False, industry__gt="", founded_on__isnull=False).count() == orgs.count()
    assert Customer.objects.filter(tags__name="VIP").exists()
    assert Customer.objects.exclude(special_notes="").exists()


def test_phones_ids_and_birthdays_are_valid_and_consistent(loaded):
    people = Customer.objects.filter(kind="person")
    assert all(MOBILE.match(p) for p in people.values_list("phone", flat=True))
    with_id = people.exclude(id_number="")
    assert with_id.count() > N // 2
    for c in with_id:
        assert id_number_valid(c.id_number), c.id_number
        assert c.id_number[6:14] == c.birthday.strftime("%Y%m%d")
        assert int(c.id_number[16]) % 2 == (1 if c.gender == "male" else 0)


def test_check_digit_matches_the_published_algorithm():
    # GB 11643-1999 worked example
    assert id_check_digit("11010519491231002") == "X"
    assert id_number_valid("11010519491231002X")
    assert not id_number_valid("110105194912310021")


def test_owner_is_active_sales_or_service_and_team_is_the_owners(loaded):
    rows = Customer.objects.values_list("team_id", "owner__team_id", "owner__is_active", "owner__role")
    assert all(team == owner_team for team, owner_team, _a, _r in rows)
    assert all(active and role in ("sales", "service") for _t, _o, active, role in rows)
    # Skewed workloads: the busiest owner has clearly more customers than the quietest.
    per_owner = Counter(Customer.objects.values_list("owner_id", flat=True))
    assert max(per_owner.values()) >= 2 * min(per_owner.values())


def test_search_keys_are_the_ones_the_services_compute(loaded):
    for c in Customer.objects.all():
        assert (c.name_pinyin, c.name_initials) == name_keys(c.name, c.kind == "person"), c.name
        assert c.phone_digits == phone_digits(c.phone, c.phone_alt)


def test_some_cards_are_stale_and_most_are_fresh(loaded):
    limit = timezone.now() - timedelta(days=settings.KEHU_STALE_AFTER_DAYS)
    stale = Customer.objects.filter(last_verified_at__lt=limit).count()
    never = Customer.objects.filter(last_verified_at__isnull=True).count()
    assert 0.15 * N <= stale + never <= 0.5 * N
    # Verified within the last two years, or never since the card was created.
    long_ago = timezone.now() - timedelta(days=731)
    assert not Customer.objects.filter(last_verified_at__lte=long_ago).exclude(last_verified_at=F("created_at"))


def test_no_card_is_verified_before_it_was_created(loaded):
    # A card counts as verified when created; a verification before the creation is impossible.
    assert not Customer.objects.filter(last_verified_at__isnull=True).exists()
    assert not Customer.objects.filter(last_verified_at__lt=F("created_at")).exists()


def test_same_seed_same_data_other_seed_other_data(loaded):
    first = snapshot()
    Customer.objects.all().delete()
    demo(customers=N, seed=7)
    assert snapshot() == first
    Customer.objects.all().delete()
    demo(customers=N, seed=8)
    assert snapshot() != first


def test_one_audit_entry_for_the_whole_load_from_the_cli(loaded):
    changes = ObjectChange.objects.all()
    assert changes.count() == 1
    entry = changes.get()
    assert entry.source == "cli" and entry.user is None
    assert entry.changes["customers"] == [None, N]
    assert "seed 7" in entry.object_repr


def test_if_empty_does_nothing_when_customers_exist(loaded):
    out = demo(customers=50, seed=1, if_empty=True)
    assert Customer.objects.count() == N
    assert "already" in out


def test_if_empty_loads_into_an_empty_database(db):
    demo(customers=20, seed=1, if_empty=True)
    assert Customer.objects.count() == 20


def test_demo_password_works_and_remove_users_disables_it(loaded):
    assert authenticate(username="sales1", password=DEMO_PASSWORD) is not None
    demo(remove_users=True)
    assert authenticate(username="sales1", password=DEMO_PASSWORD) is None
    users = User.objects.filter(is_demo=True)
    assert users.count() == 22
    assert not users.filter(is_active=True).exists()
    assert not any(u.has_usable_password() for u in users)


def test_production_refuses_demo_users_until_they_are_removed(loaded):
    with override_settings(PRODUCTION=True, DEBUG=False, SECRET_KEY=secrets.token_urlsafe(60)):
        assert any("demo user" in p for p in production_problems())
        demo(remove_users=True)
        assert production_problems() == []


def test_a_real_user_with_a_demo_username_is_left_alone(make_user):
    real = make_user("admin", username="admin")
    before = real.password
    out = demo(customers=30, seed=1)
    real.refresh_from_db()
    assert real.password == before and not real.is_demo
    assert "not a demo user" in out
    assert not Customer.objects.filter(owner=real).exists()


def test_generated_names_are_realistic():
    owners = [Owner(pk=i, team_id=i, plan=plan) for i, plan in enumerate(TEAM_PLANS)]
    batch = DemoGenerator(3, owners).batch(5000)
    people = [c.name for c in batch.customers if c.kind == "person"]
    english = [n for n in people if n.isascii()]
    chinese = [n for n in people if not n.isascii()]
    assert len(SURNAMES) >= 60
    assert 0.05 <= len(english) / len(people) <= 0.16
    lengths = Counter(len(n) for n in chinese)
    assert lengths[2] > 0.1 * len(chinese) and lengths[3] > 0.5 * len(chinese)
    top = [s for s, _n in Counter(n[0] for n in chinese).most_common(5)]
    assert {"王", "李", "张"} <= set(top)
    assert len({n[0] for n in chinese}) >= 60
    orgs = [c.name for c in batch.customers if c.kind == "organisation"]
    assert any(n.endswith("有限公司") for n in orgs) and any(n.isascii() for n in orgs)


def test_composed_person_keys_equal_name_keys_even_for_phrases():
    gen = DemoGenerator(1, [Owner(pk=1, team_id=1, plan=TEAM_PLANS[0])])
    for name in ["于思东", "于思", "曾伟", "单丽", "欧阳明", "欧阳晓燕", "张伟", "王子豪"]:
        assert gen.person_keys(name) == name_keys(name, True), name
    import random

    rnd = random.Random(5)
    for _ in range(3000):
        name = gen.chinese_name(rnd.random() < 0.5)
        assert gen.person_keys(name) == name_keys(name, True), name


def test_generating_in_a_second_process_gives_the_same_data(db):
    """Large loads generate in a forked process while the first one writes, into tables whose
    indexes are built afterwards: same seed, same rows, same indexes, searchable."""
    from customers.demo import demo_load

    indexes_before = set(_index_names())
    demo_load(customers=120, seed=11, parallel=False)
    serial = snapshot()
    Customer.objects.all().delete()
    result = demo_load(customers=120, seed=11, parallel=True, rebuild_indexes=True)
    assert snapshot() == serial
    assert result.last_id - result.first_id == 119
    assert Contact.objects.filter(customer_id__gte=result.first_id).count() == result.contacts
    assert set(_index_names()) == indexes_before
    from core.db import text_index_problems
    from customers.search import CUSTOMER_TEXT_INDEX

    assert text_index_problems(CUSTOMER_TEXT_INDEX) == []


def _index_names():
    from django.db import connection

    with connection.cursor() as cursor:
        return [name for table in ("customers_customer", "customers_contact")
                for name in connection.introspection.get_constraints(cursor, table)]


def test_demo_customers_pass_the_plausibility_rules(loaded):
    """Customer.clean() (future birthdays, negative assets, ID type and resident ID checksums) holds for
    every generated customer, and every ID number has its type."""
    for customer in Customer.objects.all():
        before = (customer.id_type, customer.id_number)
        customer.clean()
        assert (customer.id_type, customer.id_number) == before, customer.pk
    assert not Customer.objects.exclude(id_number="").filter(id_type="").exists()
