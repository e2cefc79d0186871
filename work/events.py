"""The registry of notification events: what can be told to a user, and how it reads.

Contract for an app that raises notifications (in its AppConfig.ready(), or work/registrations/):

- `register_event(key, label, default_channels=…, subject_template=…, text_template=…,
  html_template=…, summary_template=…)` once per event. `key` is stable and namespaced
  ("work.assignment", "service.sla_warning"): preferences are stored under it. `label` is a lazy
  translation, shown on the preferences page. `default_channels` is a subset of
  {"inapp", "email"} that must contain "inapp" (the inbox always gets it); whether "email" is in it
  is the e-mail default for users who have not chosen (NotificationPreference).
- The templates are Django template names. The subject template (one line) is also the inbox
  title; the summary template (optional) is the inbox line under it; the text and HTML templates are
  the e-mail's two parts. They are rendered in the recipient's language (`{% translate %}` works),
  the HTML template with autoescape, the others as plain text.
- Their context is what the caller passes to `notify(context=…)` — plain values only (strings,
  numbers, dates, and dicts and lists of them; work.services_notifications.plain_context), never a
  model instance, so a template reaches nothing beyond what the caller chose to expose — plus what
  notify adds: `recipient` ({"name"}), `customer` ({"name", "owner"}, when the notification is
  about a customer), `url` (the link: absolute in e-mails when KEHU_SITE_URL is set) and
  `event` ({"key", "label"}).
- Registering a key again replaces the earlier registration (AppConfig.ready() may run twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INAPP = "inapp"
EMAIL = "email"
CHANNELS = frozenset({INAPP, EMAIL})


@dataclass(frozen=True)
class EventType:
    """One registered event (see the module's contract)."""

    key: str
    label: Any  # lazy translation
    default_channels: frozenset[str]
    subject_template: str
    text_template: str
    html_template: str
    summary_template: str = ""

    @property
    def email_default(self) -> bool:
        return EMAIL in self.default_channels


_events: dict[str, EventType] = {}


def register_event(
    key: str, label: Any, *, default_channels: tuple[str, ...] | frozenset[str] = (INAPP, EMAIL),
    subject_template: str, text_template: str, html_template: str, summary_template: str = "",
) -> EventType:
    """Register (or replace) the event `key` (see the module's contract)."""
    channels = frozenset(default_channels)
    if not channels <= CHANNELS:
        raise ValueError(f"event {key!r}: unknown channels {sorted(channels - CHANNELS)}")
    if INAPP not in channels:
        raise ValueError(f"event {key!r}: the in-app channel is always on; list it in default_channels")
    event = EventType(key=key, label=label, default_channels=channels, subject_template=subject_template,
                      text_template=text_template, html_template=html_template, summary_template=summary_template)
    _events[key] = event
    return event


def unregister_event(key: str) -> None:
    """Forget an event (tests that plant one remove it again)."""
    _events.pop(key, None)


def get_event(key: str) -> EventType:
    """The event registered as `key` (LookupError when none is: a typo must not go unnoticed)."""
    try:
        return _events[key]
    except KeyError:
        raise LookupError(f"no notification event registered as {key!r}") from None


def events() -> list[EventType]:
    """Every registered event, in registration order."""
    return list(_events.values())
