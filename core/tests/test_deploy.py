"""Production guards: `kehu check --deploy` is clean under production settings and refuses the
public development key, a guessable key and demo users; the WSGI application refuses to start with
any of them."""

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.core.management.utils import get_random_secret_key
from django.test import override_settings

# What KEHU_ENV=production switches on in kehu/settings.py (the subprocess tests below check the
# real switch; these in-process tests check the guards against the same values).
PRODUCTION = {
    "PRODUCTION": True,
    "DEBUG": False,
    "ALLOWED_HOSTS": ["crm.example.com"],
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}


def good_key() -> str:
    return secrets.token_urlsafe(60)[:60]


def deploy_check(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("check", "--deploy", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_clean_with_a_proper_key_and_no_demo_users(db):
    with override_settings(**PRODUCTION, SECRET_KEY=good_key()):
        output = deploy_check("--fail-level", "INFO")
    assert "no issues" in output


def test_default_secret_key_is_an_error(db):
    with (
        override_settings(**PRODUCTION, SECRET_KEY=settings.DEFAULT_SECRET_KEY),
        pytest.raises(SystemCheckError) as exc,
    ):
        deploy_check()
    assert "kehu.E001" in str(exc.value) and "KEHU_SECRET_KEY" in str(exc.value)


def test_short_secret_key_is_an_error(db):
    with override_settings(**PRODUCTION, SECRET_KEY="x" * 20), pytest.raises(SystemCheckError, match="kehu.E001"):
        deploy_check()


# 50 × "a" passed both guards before; so did a repeated short pattern of 50+ characters.
GUESSABLE_KEYS = ["a" * 50, "abcd" * 13, "0123456789" * 5, "kehu-secret-" * 5]


@pytest.mark.parametrize("key", GUESSABLE_KEYS)
def test_guessable_secret_key_is_an_error(db, key):
    with override_settings(**PRODUCTION, SECRET_KEY=key), pytest.raises(SystemCheckError) as exc:
        deploy_check()
    assert "kehu.E001" in str(exc.value) and "KEHU_SECRET_KEY is guessable" in str(exc.value)


@pytest.mark.parametrize("key", GUESSABLE_KEYS)
def test_start_up_refuses_a_guessable_secret_key(db, key):
    from core.startup import refuse_unsafe_production

    with override_settings(**PRODUCTION, SECRET_KEY=key), pytest.raises(ImproperlyConfigured, match="guessable"):
        refuse_unsafe_production()


@pytest.mark.parametrize("make_key", [lambda: secrets.token_urlsafe(50), lambda: secrets.token_hex(32),
                                      get_random_secret_key])
def test_random_secret_keys_are_accepted(db, make_key):
    from core.startup import refuse_unsafe_production, secret_key_weakness

    for _ in range(50):
        key = make_key()
        assert secret_key_weakness(key) is None, key
    with override_settings(**PRODUCTION, SECRET_KEY=key):
        refuse_unsafe_production()
        assert "no issues" in deploy_check("--fail-level", "INFO")


def test_demo_users_are_an_error_until_removed(db, make_user):
    make_user("sales", username="sales1", is_demo=True)
    with override_settings(**PRODUCTION, SECRET_KEY=good_key()):
        with pytest.raises(SystemCheckError) as exc:
            deploy_check()
        assert "kehu.E001" in str(exc.value) and "demo user" in str(exc.value)
        call_command("demo", "--remove-users", stdout=StringIO())
        assert "no issues" in deploy_check("--fail-level", "INFO")


def test_debug_in_production_is_an_error(db):
    with (
        override_settings(**{**PRODUCTION, "DEBUG": True}, SECRET_KEY=good_key()),
        pytest.raises(SystemCheckError, match="KEHU_DEBUG"),
    ):
        deploy_check()


def test_guards_are_off_outside_production(db, make_user):
    make_user("sales", username="sales1", is_demo=True)
    with override_settings(PRODUCTION=False, SECRET_KEY=settings.DEFAULT_SECRET_KEY):
        from core.startup import production_problems

        assert production_problems() == []


def test_demo_refuses_to_load_in_production(db):
    with override_settings(**PRODUCTION, SECRET_KEY=good_key()), pytest.raises(CommandError, match="production"):
        call_command("demo", "--customers", "3", stdout=StringIO())


# --- The real switch, in fresh processes ------------------------------------------------------

def _kehu() -> list[str]:
    exe = Path(settings.BASE_DIR) / ".venv" / "bin" / "kehu"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kehu"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    # A clean environment: never the test run's database (DATABASE_URL) or debug switches, nor
    # the async-safety switch the browser fixtures set in this process (core.browser).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KEHU_")
           and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(KEHU_DATA_DIR=str(data_dir), KEHU_LOG_LEVEL="ERROR", **extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("kehu-prod")
    done = _run([*_kehu(), "migrate", "--no-input", "-v", "0"], _env(path))
    assert done.returncode == 0, done.stderr
    return path


def _production(data_dir: Path, key: str | None = None) -> dict[str, str]:
    return _env(data_dir, KEHU_ENV="production", KEHU_SECRET_KEY=key or good_key(),
                KEHU_ALLOWED_HOSTS="crm.example.com")


@pytest.mark.slow
def test_kehu_check_deploy_is_clean_in_production(data_dir):
    done = _run([*_kehu(), "check", "--deploy", "--fail-level", "WARNING"], _production(data_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.slow
def test_kehu_check_deploy_fails_on_the_default_key(data_dir):
    env = _production(data_dir)
    del env["KEHU_SECRET_KEY"]
    done = _run([*_kehu(), "check", "--deploy"], env)
    assert done.returncode != 0
    assert "kehu.E001" in done.stderr


@pytest.mark.slow
def test_kehu_check_deploy_fails_on_a_guessable_key(data_dir):
    done = _run([*_kehu(), "check", "--deploy"], _production(data_dir, key="a" * 50))
    assert done.returncode != 0
    assert "kehu.E001" in done.stderr and "guessable" in done.stderr


@pytest.mark.slow
def test_kehu_refuses_a_proxy_count_in_trusted_proxies(data_dir):
    # The old meaning (a hop count) trusted any client's X-Forwarded-For: refuse it, say what to set.
    done = _run([*_kehu(), "check", "--deploy"], {**_production(data_dir), "KEHU_TRUSTED_PROXIES": "1"})
    assert done.returncode != 0
    assert "KEHU_TRUSTED_PROXIES" in done.stderr and "addresses" in done.stderr
    listed = _run([*_kehu(), "check", "--deploy"], {**_production(data_dir), "KEHU_TRUSTED_PROXIES": "10.0.0.5"})
    assert listed.returncode == 0, listed.stderr


@pytest.mark.slow
def test_wsgi_refuses_to_start_with_demo_users(tmp_path):
    assert _run([*_kehu(), "migrate", "--no-input", "-v", "0"], _env(tmp_path)).returncode == 0
    # Someone tried kehu with `make run` (demo data), then switched the same data to production.
    loaded = _run([*_kehu(), "demo", "--customers", "5", "--seed", "1"], _env(tmp_path))
    assert loaded.returncode == 0, loaded.stderr
    prod = _production(tmp_path)
    start = [sys.executable, "-c", "import kehu.wsgi"]
    refused = _run(start, prod)
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "demo user" in refused.stderr
    removed = _run([*_kehu(), "demo", "--remove-users"], prod)
    assert removed.returncode == 0, removed.stderr
    started = _run(start, prod)
    assert started.returncode == 0, started.stderr


@pytest.mark.slow
def test_wsgi_refuses_to_start_with_the_default_key(data_dir):
    env = _production(data_dir)
    del env["KEHU_SECRET_KEY"]
    done = _run([sys.executable, "-c", "import kehu.wsgi"], env)
    assert done.returncode != 0 and "KEHU_SECRET_KEY" in done.stderr


@pytest.mark.slow
def test_wsgi_refuses_to_start_with_a_guessable_key(data_dir):
    done = _run([sys.executable, "-c", "import kehu.wsgi"], _production(data_dir, key="ab" * 30))
    assert done.returncode != 0 and "guessable" in done.stderr
