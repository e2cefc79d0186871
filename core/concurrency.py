"""Optimistic concurrency: no edit silently reverts another (ADR 0009). No app knowledge.

A record's **version** is its ``updated_at`` (core.models.TimeStampedModel) as an opaque token,
``version_of(instance)``: every service write and every bulk write of kehu sets it, and a write
that changes nothing leaves it alone. Whoever shows a record for editing hands its version out —
a hidden form field, an ``ETag`` header — and gets it back with the edit; the update service
compares it with the row it has locked and refuses a write based on an older state.

The contract, piece by piece:

Services
    ``check_version(instance, expected)``: call it in an update service right after loading the
    row with ``select_for_update()`` (inside the service's transaction) and before changing it.
    ``expected`` is the ``expected_version=`` keyword of the service: ``None`` means "no check"
    (callers that do not send a version keep today's behaviour; concurrent edits of different
    fields stay safe because services lock the row and write only the fields they are given);
    otherwise it raises ``StaleWrite`` unless ``expected`` is the row's current version.

``StaleWrite``
    Carries the current ``version``, who made the last recorded change (``changed_by``, a display
    name, or None) and when (``changed_at``), read from the audit trail through the registry name
    ``LAST_CHANGE``; ``message`` is "Changed by {user} at {time} — review and save again." in the
    active language.

Forms (``VersionedFormMixin``)
    A hidden ``version`` field. The view puts ``version_initial(record)`` into the form's initial
    data when it shows the form, passes ``form.expected_version`` to the update service after
    ``is_valid()`` (``cleaned_data`` never holds the version), and on ``StaleWrite`` builds the form
    again, unbound, from the record as it is now and calls ``show_conflict(conflict,
    submitted=old_form)``. The page (``templates/_concurrency.html``, included inside the ``<form>``)
    then says who changed the record and when, shows the saved values with their new version, and
    lists the values of the user's form that differ from them (the user's typing is not lost, and
    nothing is saved or reverted).

API
    ``set_etag(response, instance)`` on GET of a record and on the answer of a write;
    ``if_match(request)`` gives the versions a PUT/PATCH sent in ``If-Match`` (``None`` without the
    header or with ``*``) for the service's ``expected_version=``; a ``StaleWrite`` answers 409 with
    the usual error shape (core.api) and the current ``ETag``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models
from django.http import HttpRequest, HttpResponseBase
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core import registry

# Registered by the audit app: f(object_type="app.model", object_id=pk) -> (user or None, time) of
# the latest recorded change of that record, or None when none is recorded.
LAST_CHANGE = "concurrency.last_change"

VERSION_FIELD = "version"  # the forms' hidden field
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def version_at(moment: datetime | None) -> str:
    """The version token of a row whose ``updated_at`` is `moment`: microseconds since 1970 (UTC), as
    text ("" for None). For reads that fetch values rather than instances."""
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return str((moment - _EPOCH) // _MICROSECOND)


def version_of(instance: models.Model) -> str:
    """The version token of a row as loaded ("" for a row never saved). Opaque to clients: compare,
    never parse."""
    return version_at(getattr(instance, "updated_at", None))


def _expected(expected: str | Iterable[str] | None) -> set[str] | None:
    if expected is None:
        return None
    return {expected} if isinstance(expected, str) else set(expected)


def check_version(instance: models.Model, expected: str | Iterable[str] | None) -> None:
    """Raise StaleWrite unless `expected` (a version, or several: any may match) is the version of
    `instance`, the row the caller has just loaded and locked. ``None``: no check."""
    wanted = _expected(expected)
    if wanted is None:
        return
    current = version_of(instance)
    if current not in wanted:
        raise StaleWrite.of(instance, version=current)


class StaleWrite(Exception):
    """A write based on a version of the record that is no longer current (409 in the API)."""

    def __init__(self, *, version: str, changed_by: str | None, changed_at: datetime | None) -> None:
        self.version = version
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(f"stale write: the record is now at version {version}")

    @classmethod
    def of(cls, instance: models.Model, *, version: str | None = None) -> StaleWrite:
        """The conflict over `instance` as it is now: who changed it last and when (audit trail;
        the time of its version when the trail names no change)."""
        found = None
        try:
            last_change = registry.get(LAST_CHANGE)
        except LookupError:
            last_change = None
        if last_change is not None:
            found = last_change(object_type=instance._meta.label_lower, object_id=instance.pk)
        user, at = found if found else (None, getattr(instance, "updated_at", None))
        return cls(version=version_of(instance) if version is None else version,
                   changed_by=str(user) if user is not None else None, changed_at=at)

    @property
    def message(self) -> str:
        """What the user is told, in the active language."""
        when = formats.date_format(timezone.localtime(self.changed_at), "SHORT_DATETIME_FORMAT") \
            if self.changed_at else "?"
        if self.changed_by:
            return _("Changed by %(user)s at %(time)s — review and save again.") % {
                "user": self.changed_by, "time": when}
        return _("Changed by another user at %(time)s — review and save again.") % {"time": when}

    def __str__(self) -> str:
        return self.message


# --- Forms -------------------------------------------------------------------------------------------

def version_initial(instance: models.Model) -> dict[str, str]:
    """The initial data of a VersionedFormMixin form for editing `instance`: ``{"version": …}``."""
    return {VERSION_FIELD: version_of(instance)}


def _shown(bound: forms.BoundField) -> Any:
    """A field's value as the page shows it (a minute-precise date field shows no seconds)."""
    value = bound.value()
    if isinstance(value, (list, tuple)):
        return sorted(str(v) for v in value)
    value = bound.field.widget.format_value(value)
    return "" if value is None else str(value)


def _display(field: forms.Field, value: Any) -> str:
    """A cleaned value for a reader: choice labels, names, local dates and numbers."""
    if value in (None, "") or (isinstance(value, (list, tuple, models.QuerySet)) and not len(value)):
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple, models.QuerySet)):
        return ", ".join(str(v) for v in value)
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]  # a ChoiceField's choices are pairs by now
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value) if timezone.is_aware(value) else value,
                                   "SHORT_DATETIME_FORMAT")
    return str(formats.localize(value))


# Typed as a form for the checkers; at run time a plain mixin placed before the form class.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class VersionedFormMixin(_FormBase):
    """A form that edits one versioned record: see the module's docstring for the view's part.

    ``expected_version``: after ``is_valid()``, the version the user saw (None when the post had
    none: a page older than this check, or a form for a new record). ``conflict`` and ``unsaved``
    (``[(label, value the user entered)]``) are set by ``show_conflict()`` for the template."""

    conflict: StaleWrite | None = None
    unsaved: list[tuple[str, str]] = []
    expected_version: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)

    def _post_clean(self) -> None:
        # Taken out before the model form builds its instance: services receive the record's fields only.
        self.expected_version = (self.cleaned_data.pop(VERSION_FIELD, "") or "").strip() or None
        super()._post_clean()  # type: ignore[misc]  # a mixin: the ModelForm it is mixed into has it

    def show_conflict(self, conflict: StaleWrite, *, submitted: forms.BaseForm) -> None:
        """Show `conflict` on this form — built unbound from the record as it is now — and list the
        values the `submitted` (valid, unsaved) form held that differ from the saved ones: those the
        user typed, and those the other change replaced, which the user's form still showed."""
        self.conflict = conflict
        self.unsaved = []
        for name, field in submitted.fields.items():
            if name == VERSION_FIELD or name not in self.fields:
                continue
            mine, now = submitted[name], self[name]
            if field.has_changed(now.initial, mine.data) and _shown(mine) != _shown(now):
                self.unsaved.append((str(field.label or name), _display(field, submitted.cleaned_data.get(name))))


# --- API ---------------------------------------------------------------------------------------------

def etag(version: str) -> str:
    """The ETag header value of a version (a strong entity tag)."""
    return f'"{version}"'


def set_etag(response: HttpResponseBase, instance: models.Model | str) -> HttpResponseBase:
    """Give `response` the ETag of `instance`'s version (or of a version token); returns the response."""
    response["ETag"] = etag(instance if isinstance(instance, str) else version_of(instance))
    return response


def if_match(request: HttpRequest) -> list[str] | None:
    """The versions named by the request's ``If-Match`` header, for ``expected_version=``: None when
    the header is absent or ``*`` (no check). Weak tags (``W/"…"``) name the same version."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tags = []
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        tags.append(tag.strip().strip('"'))
    return tags
