"""Customer pages (D1): list, card, forms, bulk actions, search, export, trash.

Thin by design: reads go through customers.selectors (scoped and masked), writes through
customers.services, forms only validate. A customer outside the user's scope is a 404; one the
user sees but may not change is a 403 (django turns PermissionDenied into it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import BaseForm, BoundField
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.roles import Cap
from audit.models import AccessAction
from audit.presentation import ChangeEntry, present_changes
from audit.selectors import customer_history
from audit.services import access_record
from core import masking
from core.concurrency import StaleWrite, version_initial
from core.forms import add_errors
from core.http import safe_next
from core.middleware import is_htmx
from core.pagination import keyset_page
from core.timeline import card_panels, card_tabs, timeline_actions, timeline_facts, timeline_kinds, timeline_page
from customers import exports, selectors, services
from customers.choices import KEY_PERSON_DIMENSIONS, CustomerKind
from customers.forms import (
    CUSTOMER_FORM_FIELDS,
    BulkActionForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    DocumentForm,
    FamilyMemberForm,
    TransferForm,
    masked_fields,
)
from customers.models import Contact, Customer, CustomerDocument, FamilyMember, Tag
from customers.records.access import customer_or_404
from customers.records.base import RecordKind
from customers.records.views import RecordPages, card_url, edit_instance

PAGE_SIZE = 50
TIMELINE_SIZE = 50
SEARCH_DROPDOWN_SIZE = 10
SEARCH_PAGE_SIZE = 50


# --- helpers -----------------------------------------------------------------------------------

def _next_url(request: HttpRequest, default: str) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next")) or default


def _first_error(form: BaseForm) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return _("The request is invalid.")


# --- list, bulk actions, export ----------------------------------------------------------------

def _fixed_choices(field: Any, objects: list[Any]) -> None:
    """Give a model choice field's select the options of `objects`, read once for the page: the
    filter and bulk forms offer the same owners and tags, and each ModelChoiceField would otherwise
    run its own query (and build its own instances) while rendering. The field keeps its queryset,
    so a submitted value is still validated against it."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.widget.choices = [*empty, *((obj.pk, field.label_from_instance(obj)) for obj in objects)]


# <label> tags of the list's filter fields by (language, field): a label depends on nothing but the
# language (no prefix, no required fields), and Django renders each through a template.
_FILTER_LABELS: dict[tuple[str, str], str] = {}


def _filter_fields(form: CustomerFilterForm) -> list[tuple[BoundField, str]]:
    """The filter form's fields with their label tags, each rendered once per language."""
    language = get_language()
    out = []
    for bound in form:
        label = _FILTER_LABELS.get((language, bound.name))
        if label is None:
            label = _FILTER_LABELS[(language, bound.name)] = bound.label_tag()
        out.append((bound, label))
    return out


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    """The customer list: filters, sort, keyset pages (no count of the whole table), bulk bar."""
    user = request.user
    filter_form = CustomerFilterForm(request.GET or None, user=user)
    filters = filter_form.filters()
    sort = filter_form.sort_key()
    try:
        page = selectors.customer_list_rows(
            user=user, filters=filters, sort=sort, cursor=request.GET.get("cursor") or None, size=PAGE_SIZE
        )
    except ValidationError:
        messages.warning(request, _("The page link was out of date; here is the first page."))
        page = selectors.customer_list_rows(user=user, filters=filters, sort=sort, size=PAGE_SIZE)
    can_transfer = user.can(Cap.TRANSFER)
    can_tag = user.can(Cap.CHANGE)
    bulk_form = BulkActionForm(user=user) if (can_transfer or can_tag) else None
    owners = list(filter_form.fields["owner"].queryset)
    tags = list(filter_form.fields["tag"].queryset)
    _fixed_choices(filter_form.fields["owner"], owners)
    _fixed_choices(filter_form.fields["team"], list(filter_form.fields["team"].queryset))
    _fixed_choices(filter_form.fields["tag"], tags)
    if bulk_form is not None:
        _fixed_choices(bulk_form.fields["to_user"], owners)
        _fixed_choices(bulk_form.fields["tag"], tags)
    export_query = urlencode({k: v for k, v in request.GET.items() if k not in ("cursor", "format")})
    return render(request, "customers/customer_list.html", {
        "page": page,
        "filter_form": filter_form,
        "filter_fields": _filter_fields(filter_form),
        "filtered": bool(filters),
        "sort": sort,
        "bulk_form": bulk_form,
        "can_transfer": can_transfer,
        "can_tag": can_tag,
        "can_export": user.can(Cap.EXPORT),
        "can_add": user.can(Cap.ADD),
        "export_query": export_query,
    })


def _tag_named(user: User, name: str) -> Tag:
    existing = Tag.objects.restrict(user, "view").filter(name=name).first()
    return existing or services.tag_create(actor=user, name=name)


@login_required
@require_POST
def customer_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk transfer of owner or bulk tag of the selected customers: all of them or none."""
    user = request.user
    back = _next_url(request, reverse("customers:customer_list"))
    form = BulkActionForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(back)
    data = form.cleaned_data
    ids = data["ids"]
    if data["action"] == "transfer" and not data["confirmed"] and user.can(Cap.TRANSFER):
        # Ask first, as delete, refund and merge do: the page repeats what will happen and posts the
        # same choices back with the confirmation.
        return render(request, "customers/confirm_bulk_transfer.html", {
            "ids": ids, "count": len(ids), "to_user": data["to_user"], "reason": data["reason"].strip(),
            "cancel_url": back,
        })
    try:
        if data["action"] == "transfer":
            services.customers_bulk_transfer_owner(
                actor=user, customer_ids=ids, to_user=data["to_user"], reason=data["reason"]
            )
            messages.success(request, ngettext(
                "%(count)d customer now belongs to %(owner)s.",
                "%(count)d customers now belong to %(owner)s.", len(ids),
            ) % {"count": len(ids), "owner": data["to_user"]})
        else:
            # One transaction: a new tag is not left behind when the tagging is refused.
            with transaction.atomic():
                tag = data["tag"] or _tag_named(user, data["new_tag"].strip())
                added = services.customers_bulk_add_tag(actor=user, customer_ids=ids, tag=tag)
            messages.success(request, ngettext(
                "Tag “%(tag)s” added to %(count)d customer.",
                "Tag “%(tag)s” added to %(count)d customers.", added,
            ) % {"tag": tag.name, "count": added})
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this with these customers."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)


@login_required
@require_GET
def customer_export(request: HttpRequest) -> Any:
    """The filtered list as CSV or XLSX, for roles that may export; masked and audited."""
    user = request.user
    if not user.can(Cap.EXPORT):
        raise PermissionDenied(_("Your role may not export customer data."))
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    filter_form = CustomerFilterForm(request.GET, user=user)
    return exports.export_customers(user=user, filters=filter_form.filters(), fmt=fmt)


# --- create, card, edit --------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def customer_add(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.can(Cap.ADD):
        raise PermissionDenied(_("Your role may not create customers."))
    kind = request.GET.get("kind")
    initial = {"kind": kind if kind in CustomerKind.values else CustomerKind.PERSON}
    form = CustomerForm(request.POST or None, user=user, creating=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                actor=user, data=form.service_data(), owner=form.cleaned_data.get("owner"),
                tags=form.cleaned_data.get("tags") or (),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect(card_url(customer.pk))
    return render(request, "customers/customer_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    customer = customer_or_404(user, pk, "change")
    form = _customer_edit_form(request.POST or None, user, customer)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                actor=user, customer_id=pk, data=form.service_data(), tags=form.cleaned_data.get("tags") or [],
                expected_version=form.expected_version,
            )
        except StaleWrite as conflict:
            # Changed since this user opened the form: show it as it is now, with what they entered.
            customer = customer_or_404(user, pk, "change")
            submitted, form, status = form, _customer_edit_form(None, user, customer), 409
            form.show_conflict(conflict, submitted=submitted)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect(card_url(pk))
    # The masked values themselves (not the fields locked with them, as an ID number's type).
    masked = [(Customer._meta.get_field(f).verbose_name, getattr(customer, f))
              for f, _mask in masking.row_maskers(user, Customer) if getattr(customer, f) not in (None, "")]
    return render(request, "customers/customer_form.html", {
        "form": form, "creating": False, "customer": customer, "masked": masked,
    }, status=status)


def _customer_edit_form(data: Any, user: User, customer: Customer) -> CustomerForm:
    """The edit form of `customer` as loaded (with its version), bound to `data` when posted."""
    hidden = masked_fields(user)
    initial = model_to_dict(customer, fields=[f for f in CUSTOMER_FORM_FIELDS if f not in hidden])
    initial["tags"] = list(customer.tags.all())
    return CustomerForm(
        data, user=user, creating=False, initial={**initial, **version_initial(customer)},
        instance=edit_instance(Customer, customer.pk, owner_id=customer.owner_id),
    )


def _history(user: User, customer_id: int) -> list[ChangeEntry]:
    """The customer's change trail as the reader reads it (audit.presentation: labels, names, local
    dates, masking), in one query per model named."""
    return present_changes(customer_history(user=user, customer_id=customer_id), reader=user)


def _timeline(request: HttpRequest, user: User, customer_id: int) -> dict[str, Any]:
    """The card's timeline: entries from every app that registers a provider (core.timeline),
    filtered by kind, one page of TIMELINE_SIZE, "older" by cursor."""
    kinds = timeline_kinds()
    asked = [k for k in request.GET.getlist("kind") if k in {key for key, _label in kinds}]
    try:
        page = timeline_page(user=user, customer_id=customer_id, kinds=asked or None,
                             cursor=request.GET.get("before") or None, limit=TIMELINE_SIZE)
    except ValidationError:
        page = timeline_page(user=user, customer_id=customer_id, kinds=asked or None, limit=TIMELINE_SIZE)
    return {"timeline": page, "timeline_kinds": kinds, "timeline_kind": asked[0] if len(asked) == 1 else ""}


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer card with its tabs; every view is written to the access log."""
    user = request.user
    if request.GET.get("tab") == "timeline" and request.GET.get("part") == "entries" and is_htmx(request):
        # More timeline entries (older page, or a refresh after a quick entry): a fragment.
        if not selectors.customers_visible(user).filter(pk=pk).exists():
            raise Http404(_("No such customer."))
        return render(request, "customers/customer_detail.html#timeline-entries", _timeline(request, user, pk))
    if request.GET.get("part") == "panels":
        # The analytics panels of the profile tab, loaded by the card after it is shown (htmx).
        customer = customer_or_404(user, pk, "view")
        return render(request, "customers/customer_detail.html#card-panels", {
            "customer": customer, "card_panels": card_panels(user=user, customer_id=customer.pk)})
    tab = request.GET.get("tab") or "profile"
    try:
        # The documents tab lists them; the others only show how many (a count, not the rows),
        # read with the card.
        card = selectors.customer_card_instances(user=user, customer_id=pk, count_documents=tab != "documents")
    except Customer.DoesNotExist as exc:
        # Links to a customer merged into another (bookmarks, old e-mails, the audit trail) lead on.
        survivor = selectors.customer_merged_into(user=user, customer_id=pk)
        if survivor is not None:
            target = reverse("customers:customer_detail", args=[survivor])
            return redirect(f"{target}?{request.GET.urlencode()}" if request.GET else target)
        raise Http404(_("No such customer.")) from exc
    customer, card_tags = card.customer, card.tags
    tabs = [("profile", _("Profile"), None), ("timeline", _("Timeline"), None)]
    if customer.kind == CustomerKind.ORGANISATION or card.contacts:
        tabs.append(("contacts", _("Contacts"), len(card.contacts)))
    if customer.kind == CustomerKind.PERSON or card.family_members:
        tabs.append(("family", _("Family"), len(card.family_members)))
    documents = len(card.documents) if card.documents_count is None else card.documents_count
    tabs.append(("documents", _("Documents"), documents))
    # Tabs of higher apps (core.timeline.card_tabs: the wealth desk's holdings …), before History.
    contributed = {t.key: t for t in card_tabs(user=user, customer=customer)}
    tabs += [(key, t.label, None) for key, t in contributed.items()]
    tabs.append(("history", _("History"), None))
    if tab not in {key for key, _label, _count in tabs}:
        tab = "profile"
    access_record(user=user, action=AccessAction.VIEW, customer_id=customer.pk, object_repr=customer.name,
                  detail={"tab": tab})
    context: dict[str, Any] = {
        "card": card,
        "customer": customer,
        "tab": tab,
        "tabs": tabs,
        "dimensions": KEY_PERSON_DIMENSIONS,
        "tags": card_tags,
    }
    if tab == "documents":
        context["document_form"] = DocumentForm()
    if tab == "history":
        context["history"] = _history(user, customer.pk)
    if tab == "timeline":
        context.update(_timeline(request, user, customer.pk))
        context["timeline_actions"] = timeline_actions(user=user, customer_id=customer.pk, can_change=card.can_change)
        context["timeline_facts"] = timeline_facts(user=user, customer_id=customer.pk)
    if tab in contributed:
        context["contributed_tab"] = contributed[tab]
        context.update(contributed[tab].context(request, card))
    return render(request, "customers/customer_detail.html", context)


@login_required
@require_POST
def customer_verify(request: HttpRequest, pk: int) -> HttpResponse:
    customer_or_404(request.user, pk, "change")
    services.customer_mark_verified(actor=request.user, customer_id=pk)
    messages.success(request, _("Marked as verified today."))
    return redirect(_next_url(request, card_url(pk)))


@login_required
@require_http_methods(["GET", "POST"])
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_or_404(request.user, pk, "delete")
    if request.method == "POST":
        services.customer_delete(actor=request.user, customer_id=pk)
        messages.success(request, _("Customer “%(name)s” deleted. An administrator can restore it.")
                         % {"name": customer.name})
        return redirect("customers:customer_list")
    return render(request, "customers/confirm_delete.html", {
        "customer": customer, "object": customer, "cancel_url": card_url(pk),
        "question": _("Delete the customer “%(name)s”?") % {"name": customer.name},
        "explanation": _("The customer disappears from every list. An administrator can restore it."),
    })


@login_required
@require_http_methods(["GET", "POST"])
def customer_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    customer = customer_or_404(user, pk, "transfer")
    form = TransferForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_transfer_owner(
                actor=user, customer_id=pk, to_user=form.cleaned_data["to_user"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s now belongs to %(owner)s.")
                             % {"name": customer.name, "owner": form.cleaned_data["to_user"]})
            return redirect(card_url(pk, "history"))
    return render(request, "customers/customer_transfer.html", {"form": form, "customer": customer})


# --- contacts, family members, documents: records of the card (customers.records) ---------------

CONTACTS = RecordKind(model=Contact, id_kwarg="contact_id", create=services.contact_create,
                      update=services.contact_update, delete=services.contact_delete)
FAMILY_MEMBERS = RecordKind(model=FamilyMember, id_kwarg="family_member_id", create=services.family_member_create,
                            update=services.family_member_update, delete=services.family_member_delete)
# Documents are uploaded and downloaded by their own views below; the layer deletes them.
DOCUMENTS = RecordKind(model=CustomerDocument, id_kwarg="document_id", delete=services.document_delete)

CONTACT_PAGES = RecordPages(
    kind=CONTACTS, form=ContactForm, tab="contacts",
    title_add=gettext_lazy("Add contact"), title_edit=gettext_lazy("Edit contact"),
    fields_partial="customers/child_form.html#contact-fields",
)
FAMILY_PAGES = RecordPages(
    kind=FAMILY_MEMBERS, form=FamilyMemberForm, tab="family",
    title_add=gettext_lazy("Add family member"), title_edit=gettext_lazy("Edit family member"),
)
DOCUMENT_PAGES = RecordPages(
    kind=DOCUMENTS, tab="documents",
    delete_explanation=gettext_lazy("It is removed from the customer's folder; the history keeps a record."),
)

contact_add = CONTACT_PAGES.view("add")
contact_edit = CONTACT_PAGES.view("edit")
contact_delete = CONTACT_PAGES.view("delete")
family_add = FAMILY_PAGES.view("add")
family_edit = FAMILY_PAGES.view("edit")
family_delete = FAMILY_PAGES.view("delete")
document_delete = DOCUMENT_PAGES.view("delete")


# --- documents ---------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def document_upload(request: HttpRequest, customer_pk: int) -> HttpResponse:
    user = request.user
    customer = customer_or_404(user, customer_pk, "change")
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            doc = services.document_upload(
                actor=user, customer_id=customer.pk, upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” uploaded.") % {"name": doc.original_name})
            return redirect(card_url(customer.pk, "documents"))
    return render(request, "customers/document_form.html", {
        "form": form, "customer": customer, "cancel_url": card_url(customer.pk, "documents"),
    }, status=400 if form.errors else 200)


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file as an attachment, for users who see its customer; every download is audited."""
    user = request.user
    try:
        doc = CustomerDocument.objects.restrict(user, "view").get(pk=pk)
    except CustomerDocument.DoesNotExist as exc:
        raise Http404 from exc
    try:
        handle = doc.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    access_record(user=user, action=AccessAction.DOWNLOAD, customer_id=doc.customer_id,
                  object_repr=doc.original_name, detail={"document_id": doc.pk})
    return FileResponse(handle, as_attachment=True, filename=doc.original_name)


# --- search ------------------------------------------------------------------------------------------

@login_required
@require_GET
def customer_search(request: HttpRequest) -> HttpResponse:
    """Header search: a dropdown fragment for htmx, a results page otherwise."""
    q = (request.GET.get("q") or "").strip()[:100]
    if is_htmx(request):
        hits = selectors.customer_search(user=request.user, q=q, limit=SEARCH_DROPDOWN_SIZE) if q else []
        return render(request, "customers/customer_search.html#results", {"hits": hits, "q": q})
    hits = selectors.customer_search(user=request.user, q=q, limit=SEARCH_PAGE_SIZE) if q else []
    return render(request, "customers/customer_search.html", {"hits": hits, "q": q, "search_query": q})


# --- trash -------------------------------------------------------------------------------------------

@login_required
@require_GET
def customer_trash(request: HttpRequest) -> HttpResponse:
    """Deleted customers, for administrators, newest deletion first."""
    user = request.user
    if not user.can(Cap.RESTORE):
        raise PermissionDenied(_("Only administrators may see deleted customers."))
    qs = Customer.objects.restrict(user, "restore").select_related("owner", "team")
    try:
        page = keyset_page(qs, ordering=["-deleted_at", "-id"], cursor=request.GET.get("cursor") or None,
                           size=PAGE_SIZE)
    except ValidationError:
        page = keyset_page(qs, ordering=["-deleted_at", "-id"], size=PAGE_SIZE)
    page.items = [selectors.mask_customer(user, c) for c in page.items]
    return render(request, "customers/customer_trash.html", {"page": page})


@login_required
@require_POST
def customer_restore(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not user.can(Cap.RESTORE):
        raise PermissionDenied(_("Only administrators may restore customers."))
    if not Customer.objects.restrict(user, "restore").filter(pk=pk).exists():
        raise Http404
    try:
        customer = services.customer_restore(actor=user, customer_id=pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:customer_trash")
    messages.success(request, _("Customer “%(name)s” restored.") % {"name": customer.name})
    return redirect("customers:customer_trash")
