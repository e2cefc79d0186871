"""Writes on saved dynamic segments: a named filter, private, shared with a team, or shared with
everyone. Only its creator (or an administrator) changes or deletes it. Sharing never widens
anyone's view: members are always read through the viewer's own scope (selectors)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Team
from accounts.roles import Role
from audit.models import ChangeAction
from audit.services import change_record
from segmentation import filters
from segmentation.models import SavedSegment


def segment_may_change(user: Any, segment: SavedSegment) -> bool:
    """The creator and administrators may change or delete a segment."""
    return bool(user and user.is_active and (segment.owner_id == user.pk or user.effective_role == Role.ADMIN))


def _clean(actor: Any, *, name: str, rules: Any, team: Team | None, shared_with_all: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 100:
        errors["name"] = _("The name is too long (at most 100 characters).")
    try:
        rules = filters.validate_rules(rules)
    except ValidationError as exc:
        errors["rules"] = exc.messages
    if team is not None and actor.effective_role != Role.ADMIN and team.pk != actor.team_id:
        errors["shared_with_team"] = _("You may share a segment with your own team only.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "rules": rules, "shared_with_team": team, "shared_with_all": bool(shared_with_all)}


def saved_segment_create(
    *, actor: Any, name: str, rules: Any, description: str = "", team: Team | None = None,
    shared_with_all: bool = False,
) -> SavedSegment:
    """Save a filter as a named segment owned by the actor. Any active user may; audited."""
    if not (actor and actor.is_active):
        raise PermissionDenied
    data = _clean(actor, name=name, rules=rules, team=team, shared_with_all=shared_with_all)
    with transaction.atomic():
        segment = SavedSegment.objects.create(owner=actor, description=description or "", **data)
        change_record(user=actor, instance=segment, action=ChangeAction.CREATE,
                      changes={"name": [None, segment.name], "rules": [None, segment.rules]})
    return segment


def saved_segment_update(
    *, actor: Any, segment_id: int, name: str, rules: Any, description: str = "", team: Team | None = None,
    shared_with_all: bool = False,
) -> SavedSegment:
    """Change a segment (its creator or an administrator); audited with before and after."""
    with transaction.atomic():
        segment = SavedSegment.objects.select_for_update().get(pk=segment_id)
        if not segment_may_change(actor, segment):
            raise PermissionDenied(_("Only the creator of a segment or an administrator may change it."))
        data = _clean(actor, name=name, rules=rules, team=team, shared_with_all=shared_with_all)
        before = {"name": segment.name, "rules": segment.rules, "shared_with_team": segment.shared_with_team_id,
                  "shared_with_all": segment.shared_with_all, "description": segment.description}
        for key, value in data.items():
            setattr(segment, key, value)
        segment.description = description or ""
        segment.save()
        after = {"name": segment.name, "rules": segment.rules, "shared_with_team": segment.shared_with_team_id,
                 "shared_with_all": segment.shared_with_all, "description": segment.description}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changes:
            change_record(user=actor, instance=segment, action=ChangeAction.UPDATE, changes=changes)
    return segment


def saved_segment_delete(*, actor: Any, segment_id: int) -> None:
    """Delete a segment (its creator or an administrator); audited."""
    with transaction.atomic():
        segment = SavedSegment.objects.select_for_update().get(pk=segment_id)
        if not segment_may_change(actor, segment):
            raise PermissionDenied(_("Only the creator of a segment or an administrator may delete it."))
        change_record(user=actor, instance=segment, action=ChangeAction.DELETE,
                      changes={"name": [segment.name, None], "rules": [segment.rules, None]})
        segment.delete()
