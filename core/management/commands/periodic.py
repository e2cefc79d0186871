"""`kehu periodic [--loop]`: enqueue the periodic jobs that are due (core/periodic.py)."""

from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.db import close_old_connections

from core.commands import KehuCommand
from core.periodic import jobs, run_due


class Command(KehuCommand):
    help = ("Enqueue every periodic job that is due today and was not enqueued yet (run it from cron every "
            "minute, or with --loop as a process next to `kehu db_worker`).")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep checking until stopped.")
        parser.add_argument("--interval", type=int, default=30, help="Seconds between checks with --loop.")
        parser.add_argument("--list", action="store_true", help="List the registered jobs and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in jobs():
                self.stdout.write(f"{job.hour:02d}:{job.minute:02d}  {job.name}  ({job.task})")
            return
        if not options["loop"]:
            self._once()
            return
        stop = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: stop.append(True))
        while not stop:
            self._once()
            close_old_connections()
            for _second in range(max(1, options["interval"])):
                if stop:
                    break
                time.sleep(1)

    def _once(self) -> None:
        for name in run_due():
            self.stdout.write(f"enqueued {name}")
