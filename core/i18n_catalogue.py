"""Reading .po catalogues without GNU gettext, for the tests that keep translations complete."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    context: str | None = None
    fuzzy: bool = False
    obsolete: bool = False

    @property
    def key(self) -> str:
        return f"{self.context}\x04{self.msgid}" if self.context else self.msgid

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(v for v in self.msgstr.values())


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file (header entry excluded)."""
    entries: list[Entry] = []
    cur = Entry()
    last: tuple[str, int | None] | None = None
    started = False

    def flush() -> None:
        nonlocal cur, started
        if started and cur.msgid:
            entries.append(cur)
        cur, started = Entry(), False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            last = None
            continue
        if line.startswith("#~"):
            cur.obsolete = True
            continue
        if line.startswith("#,"):
            cur.fuzzy = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt "):
            if started and cur.msgstr:
                flush()
            cur.context, last, started = ast.literal_eval(line[8:]), ("ctx", None), True
        elif line.startswith("msgid_plural "):
            cur.msgid_plural, last = ast.literal_eval(line[13:]), ("plural", None)
        elif line.startswith("msgid "):
            if started and cur.msgstr:
                flush()
            cur.msgid, last, started = ast.literal_eval(line[6:]), ("id", None), True
        elif line.startswith("msgstr["):
            idx = int(line[7 : line.index("]")])
            cur.msgstr[idx], last = ast.literal_eval(line[line.index("]") + 2 :]), ("str", idx)
        elif line.startswith("msgstr "):
            cur.msgstr[0], last = ast.literal_eval(line[7:]), ("str", 0)
        elif line.startswith('"') and last:
            text = ast.literal_eval(line)
            kind, index = last
            if kind == "id":
                cur.msgid += text
            elif kind == "plural":
                cur.msgid_plural = (cur.msgid_plural or "") + text
            elif kind == "ctx":
                cur.context = (cur.context or "") + text
            elif index is not None:  # a msgstr's continuation: "str" always has its index
                cur.msgstr[index] = cur.msgstr.get(index, "") + text
    flush()
    return [e for e in entries if not e.obsolete]
