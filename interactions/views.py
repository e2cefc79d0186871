"""Interaction pages (D3): the list, one-step entry (a full page, or an htmx panel on the card's
timeline), detail, edit and delete — declared on the records layer (customers.records) — and
ticking off follow-up tasks, a domain action with its own view."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.http import safe_next
from core.middleware import is_htmx
from core.timeline import record_actions
from customers.models import Customer
from customers.records.views import RecordPages
from interactions import selectors, services
from interactions.forms import InteractionFilterForm, InteractionForm
from interactions.models import Interaction
from work.models import Task

PAGE_SIZE = 50
# Sent with a successful quick entry: the card's timeline reloads itself on this event.
TIMELINE_EVENT = "kehu:timeline-changed"


def _form_kwargs(request: HttpRequest, customer: Customer, interaction: Interaction | None) -> dict[str, Any]:
    # A follow-up task is set up with a new interaction; later it has its own life (done, reopened).
    return {"user": request.user, "customer_id": customer.pk, "with_follow_up": interaction is None}


def _extra_context(request: HttpRequest, customer: Customer, interaction: Interaction | None) -> dict[str, Any]:
    # Links the apps above offer on the interaction's page (core.timeline.record_actions), e.g. "Complaint".
    return {"record_actions": record_actions(user=request.user, record=interaction)} if interaction else {}


INTERACTION_PAGES = RecordPages(
    kind=services.INTERACTIONS, form=InteractionForm, tab="timeline", object_name="interaction",
    detail_url_name="interactions:interaction_detail",
    read=lambda user, pk: selectors.interaction_detail(user=user, interaction_id=pk),
    form_template="interactions/interaction_form.html", delete_template="commerce/confirm_delete.html",
    list_template="interactions/interaction_list.html", detail_template="interactions/interaction_detail.html",
    added_message=gettext_lazy("Interaction recorded."), saved_message=gettext_lazy("Interaction saved."),
    deleted_message=gettext_lazy("Interaction deleted."),
    delete_question=gettext_lazy("Delete the interaction “%(subject)s”?"),
    delete_explanation=gettext_lazy("It is removed from the timeline; the history keeps a record."),
    label_params=lambda interaction: {"subject": interaction.subject},
    # The full page says a refused entry is a bad request; the htmx panel must answer 200 to be swapped.
    add_invalid_status=400,
    # The follow-up's fields, as the services name them, and as the form does.
    error_aliases={"title": "follow_up_title", "due_on": "follow_up_due", "assignee": "follow_up_assignee"},
    quick_partial="interactions/interaction_form.html#quick", quick_event=TIMELINE_EVENT,
    filter_form=InteractionFilterForm, list_selector=selectors.interaction_list, page_size=PAGE_SIZE,
    form_kwargs=_form_kwargs,
    create_kwargs=lambda form: {"follow_up": form.follow_up()},
    extra_context=_extra_context,
)

interaction_list = INTERACTION_PAGES.view("list")
# From the card (htmx) the form is a panel above the timeline: on success it comes back empty and
# the timeline reloads.
interaction_add = INTERACTION_PAGES.view("add")
interaction_detail = INTERACTION_PAGES.view("detail")
interaction_edit = INTERACTION_PAGES.view("edit")
interaction_delete = INTERACTION_PAGES.view("delete")


@login_required
@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick a follow-up task off (or reopen it with done=0). From the home page via htmx the row
    disappears; otherwise back to `next`."""
    user = request.user
    if not Task.objects.restrict(user, "view").filter(pk=pk).exists():
        raise Http404
    done = request.POST.get("done", "1") != "0"
    task = services.follow_up_done(actor=user, task_id=pk, done=done)
    if is_htmx(request):
        return HttpResponse("")
    messages.success(request, (_("“%(task)s” done.") if done else _("“%(task)s” reopened.")) % {"task": task.title})
    return redirect(safe_next(request, request.POST.get("next")) or reverse("home"))
