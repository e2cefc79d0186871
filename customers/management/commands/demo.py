"""`kehu demo --customers N --seed S [--if-empty] [--remove-users]`: the demo dataset.

The customers app writes teams, demo users and customers (with contacts, family and tags). Other
apps add their own demo data through core.registry's list "demo_generators": once the customers
are written and committed, the command calls every registered generator, in app order, as

    generator(*, first_customer_id: int, last_customer_id: int, seed: int,
              progress: Callable[[str, int, int], None]) -> None

- first_customer_id, last_customer_id: the ids of the customers just written (inclusive range);
- seed: the command's --seed (derive your own random stream from it, e.g. Random(f"orders-{seed}"),
  so that the same seed gives the same data);
- progress(label, done, total): draws a progress bar with rate and ETA for `label` (e.g.
  progress("orders", 120_000, 1_000_000)); call it once per batch, and with done == total at the end.

It may return a dict of phase names and seconds, which the command prints.

A generator writes in bulk in its own transaction (core.db.insert_rows: executemany on SQLite,
COPY on PostgreSQL) and writes no per-row audit entries. Register it in AppConfig.ready():
`registry.add("demo_generators", demo.generate)`.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from core import registry
from core.commands import KehuCommand
from customers.demo import DEMO_PASSWORD, ProgressBar, demo_load, demo_users_remove
from customers.models import Customer


class Command(KehuCommand):
    help = (
        "Load a reproducible demo dataset (teams, one user per role with the published password "
        f"“{DEMO_PASSWORD}”, customers with contacts and family, and whatever other apps generate for "
        "them), or disable the demo users."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=2000, help="How many customers (default 2000).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed: same seed, same data (default 42).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already holds customers (for `make run`).")
        parser.add_argument("--remove-users", action="store_true",
                            help="Disable every demo user (unusable password, inactive) so that production "
                                 "settings can start. Loads nothing.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Customers per batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["remove_users"]:
            n = demo_users_remove()
            self.stdout.write(f"Disabled {n} demo user(s): their passwords no longer work.")
            return
        if settings.PRODUCTION:
            # Demo users have a published password; production start-up would refuse them anyway.
            raise CommandError("Refusing to load demo data with KEHU_ENV=production.")
        count = options["customers"]
        if count < 0:
            raise CommandError("--customers must be 0 or more.")
        # Deleted customers count too: the data is not empty while a trash exists.
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("Customers already exist; demo data not loaded (--if-empty).")
            return
        seed = options["seed"]
        self.stdout.write(f"Loading the demo dataset: {count:,} customers, seed {seed} …")
        tty = self.stdout.isatty()
        progress = ProgressBar(lambda text: self.stdout.write(text, ending=""), tty=tty)
        started = time.monotonic()
        try:
            result = demo_load(customers=count, seed=seed, progress=progress,
                               batch_size=max(1, options["batch_size"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        rate = result.customers / result.seconds if result.seconds else 0
        self.stdout.write(self.style.SUCCESS(
            f"Customers done in {result.seconds:.1f}s ({rate:,.0f} customers/s): {result.customers:,} customers, "
            f"{result.contacts:,} contacts, {result.family_members:,} family members, "
            f"{result.tag_links:,} tag links."
        ))
        self.stdout.write("  " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.phases.items()))
        if result.first_id is not None and result.last_id is not None:
            # A generator marked `runs_last` builds on the activity the others write (e.g. targets from
            # last month's actuals): it runs after them, whatever the order of the apps.
            generators = sorted(registry.get_all("demo_generators"), key=lambda g: getattr(g, "runs_last", False))
            for generate in generators:
                phases = generate(first_customer_id=result.first_id, last_customer_id=result.last_id, seed=seed,
                                  progress=progress)
                if isinstance(phases, dict) and phases:
                    # A generator may report its phases (seconds each), as the customers' load does.
                    self.stdout.write("  " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in phases.items()))
        self.stdout.write(self.style.SUCCESS(f"Demo dataset loaded in {time.monotonic() - started:.1f}s."))
        for username in result.skipped:
            self.stdout.write(self.style.WARNING(
                f"User “{username}” exists and is not a demo user: left unchanged, owns no demo customers."
            ))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}) — never use them in production:")
        self.stdout.write(f"  {'username':<12} {'role':<16} team")
        for username, role, team in result.logins:
            self.stdout.write(f"  {username:<12} {role:<16} {team}")
