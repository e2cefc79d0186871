"""`kehu run [ADDR:PORT]`: serve everything on one machine — web server, task worker, scheduler."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from core.supervisor import Supervisor, kehu_processes


class Command(BaseCommand):
    help = ("Serve kehu on one machine: the web server (gunicorn), the task worker (kehu db_worker) and the "
            "periodic scheduler (kehu periodic --loop), stopped together with Ctrl-C. This is what `make run` "
            "starts; production runs the three as separate services (docs/deploy.md).")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000",
                            help="Address and port to serve on (default 127.0.0.1:8000).")
        parser.add_argument("--web-workers", type=int, default=2,
                            help="gunicorn worker processes (default 2, about one per core).")
        parser.add_argument("--periodic-interval", type=int, default=30,
                            help="Seconds between the scheduler's checks for due jobs (default 30).")

    def handle(self, *args: Any, **options: Any) -> None:
        bind = options["addrport"]
        if bind.isdigit():
            bind = f"127.0.0.1:{bind}"
        if ":" not in bind:
            raise CommandError("Give the address as HOST:PORT, e.g. 127.0.0.1:8000.")
        # The children open their own connections; this process needs none while it waits.
        connections.close_all()
        self.stdout.write(f"kehu on http://{bind}/ with its task worker and scheduler; Ctrl-C stops all three.")
        self.stdout.flush()
        children = kehu_processes(bind=bind, web_workers=options["web_workers"],
                                  periodic_interval=options["periodic_interval"])
        status = Supervisor(children, log=self.stderr, env=dict(os.environ)).run()
        if status:
            raise SystemExit(status)
