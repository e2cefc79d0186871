"""Generic pages for records that belong to a customer: add, edit, delete, list and detail, each
built from a declaration (`RecordPages`) of one kind of record.

What every page of every kind does the same way:

- scope: the customer (add) or the record (edit, delete, detail) is read through
  customers.records.access — out of scope is a 404, in scope without the right a 403;
- writes: only through the kind's services (RecordKind.create_record / update_record /
  delete_record); a service's ValidationError goes back onto the form next to its field, nothing
  is saved;
- no lost update (core.concurrency, ADR 0009): the edit page's form is the declared form with
  VersionedFormMixin (``versioned(form)``, made once per form class): it carries the version of the
  record as shown in a hidden field and hands it to update_record. When the record has changed since
  the form was opened, the page answers 409 with the form built again from the record as it is now,
  who changed it and when, and the values the user entered that were not saved;
- markup: only in templates. A page renders the declared template; htmx quick entry renders a
  partial of it (django-template-partials, ``"template.html#partial"``);
- where to go: after saving, to ``next`` (a safe local URL) or else the record's own page or the
  customer card's tab; after deleting, to the card's tab.

Contract of a declared form: a Django form whose ``__init__`` takes the keyword arguments
`RecordPages.form_kwargs` returns; a ModelForm's ``Meta.fields`` are the fields read back into the
form on edit. If it has ``service_data()`` that is what the services get, otherwise the cleaned
values of its ``Meta.fields``. On the edit page it has one more field, the hidden ``version``: the
form template includes ``_concurrency.html`` inside its ``<form>`` (which renders that field and a
conflict) and shows only the visible fields itself (``form.visible_fields``, never ``{% for field
in form %}``, which would show the version with a label).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Model
from django.forms import BaseForm
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.concurrency import StaleWrite, VersionedFormMixin, version_initial
from core.forms import add_errors
from core.http import safe_next
from core.middleware import is_htmx
from core.pagination import KeysetPage
from customers import selectors
from customers.models import Customer
from customers.records.access import customer_or_404
from customers.records.base import RecordKind

Label = str | Promise


def card_url(customer_id: int, tab: str = "") -> str:
    """The customer card, on `tab` when given."""
    url = reverse("customers:customer_detail", args=[customer_id])
    return f"{url}?tab={tab}" if tab else url


def edit_instance(model: type[Model], pk: int, **attrs: Any) -> Model:
    """A stand-in instance for a ModelForm that edits an existing row: unique checks exclude the
    row itself, and the (possibly masked) loaded instance is never handed to the form."""
    instance = model(pk=pk, **attrs)
    instance._state.adding = False
    return instance


@functools.cache
def versioned(form: type[BaseForm]) -> type[BaseForm]:
    """The edit page's form: `form` with core.concurrency.VersionedFormMixin (a hidden version of the
    record as shown). Made once per form class; a form that has the mixin already is itself."""
    if issubclass(form, VersionedFormMixin):
        return form
    attrs = {"__module__": form.__module__, "__qualname__": f"Versioned{form.__qualname__}", "__doc__": form.__doc__}
    return type(form)(f"Versioned{form.__name__}", (VersionedFormMixin, form), attrs)  # type: ignore[no-any-return]


def _user_kwarg(request: HttpRequest, customer: Customer, record: Any) -> dict[str, Any]:  # noqa: ARG001
    return {"user": request.user}


def _nothing(*args: Any) -> dict[str, Any]:  # noqa: ARG001
    return {}


def _named(record: Any) -> dict[str, Any]:
    return {"name": record}


@dataclass(frozen=True)
class RecordPages:
    """The declaration of one kind of record's pages. Only `kind` and, for add and edit, `form` are
    needed; everything else has the default the card's contacts use."""

    kind: RecordKind
    form: type[BaseForm] | None = None
    # The card tab the records are shown on ("contacts", "timeline"): where the pages lead back to.
    tab: str = ""
    # URL name of the record's own page (args: [pk]), when it has one: edit leads back there.
    detail_url_name: str | None = None
    # How the detail page reads the record: a selector (user, pk) that raises Model.DoesNotExist
    # outside the user's scope. Default: the record with its customer.
    read: Callable[[Any, int], Any] | None = None
    # Templates and what they get. Form: form, customer, object (also under `object_name`), title,
    # cancel_url, saved, fields_partial. Delete: customer, object, question, explanation, cancel_url.
    # List: page, filter_form, filtered, customer. Detail: customer, object, can_change, can_delete.
    # Each also gets `extra_context`.
    form_template: str = "customers/child_form.html"
    # The default form template shows every field in one fieldset, or this partial's fieldsets.
    fields_partial: str | None = None
    delete_template: str = "customers/confirm_delete.html"
    list_template: str | None = None
    detail_template: str | None = None
    object_name: str = "object"
    # Words. Messages and questions are %-formatted with label_params(record).
    title_add: Label = ""
    title_edit: Label = ""
    added_message: Label = gettext_lazy("Saved.")
    saved_message: Label = gettext_lazy("Saved.")
    deleted_message: Label = gettext_lazy("“%(name)s” deleted.")
    delete_question: Label = gettext_lazy("Delete “%(name)s”?")
    delete_explanation: Label = gettext_lazy("It is removed from the card; the history keeps a record.")
    label_params: Callable[[Any], Mapping[str, Any]] = _named
    # The status of a page that shows a refused form again.
    add_invalid_status: int = 200
    edit_invalid_status: int = 200
    # Service field → form field, for errors a service names differently from the form.
    error_aliases: Mapping[str, str] = field(default_factory=dict)
    # htmx quick entry: an htmx add request renders this partial; after a save it comes back with an
    # empty form, the saved record as `saved`, and `quick_event` as HX-Trigger.
    quick_partial: str | None = None
    quick_event: str | None = None
    # The list page: a filter form (data, user=) whose filters() gives a dict ({} while the form is
    # invalid), and a selector (user=, filters=, cursor=, size=) -> KeysetPage that may raise
    # ValidationError for a stale cursor (the first page is shown then).
    filter_form: type[BaseForm] | None = None
    list_selector: Callable[..., KeysetPage] | None = None
    page_size: int = 50
    # Hooks: the form's keyword arguments, its initial values on add, domain arguments for create
    # (besides the fields), extra template context.
    form_kwargs: Callable[[HttpRequest, Customer, Any], dict[str, Any]] = _user_kwarg
    add_initial: Callable[[HttpRequest, Customer], dict[str, Any]] = _nothing
    create_kwargs: Callable[[BaseForm], dict[str, Any]] = _nothing
    extra_context: Callable[[HttpRequest, Customer, Any], dict[str, Any]] = _nothing

    # --- the views, as URL patterns take them ----------------------------------------------------

    def view(self, name: str) -> Callable[..., HttpResponse]:
        """The page `name` ("add", "edit", "delete", "list", "detail") as a view function: login
        required, only the methods it answers."""
        methods = {"add": ["GET", "POST"], "edit": ["GET", "POST"], "delete": ["GET", "POST"],
                   "list": None, "detail": None}
        if name not in methods:
            raise ValueError(f"no records page {name!r}")
        needs = {"add": self.form and self.kind.create, "edit": self.form and self.kind.update,
                 "list": self.list_selector, "detail": self.detail_template}
        if name in needs and not needs[name]:
            raise ImproperlyConfigured(f"{self.kind.model.__name__} declares no {name} page")
        method = getattr(self, f"{name}_page")
        allowed = methods[name]
        view = require_http_methods(allowed)(method) if allowed else require_GET(method)
        view = login_required(view)
        view.__name__ = view.__qualname__ = f"{self.kind.model._meta.model_name}_{name}"
        return view

    # --- pages ---------------------------------------------------------------------------------

    def add_page(self, request: HttpRequest, customer_pk: int) -> HttpResponse:
        user = request.user
        customer = customer_or_404(user, customer_pk, "change")
        quick = self.quick_partial is not None and is_htmx(request)
        form = self._form(request, customer, None, initial=self.add_initial(request, customer))
        saved = None
        if request.method == "POST" and form.is_valid():
            try:
                saved = self.kind.create_record(actor=user, customer_id=customer.pk, data=self._data(form),
                                                **self.create_kwargs(form))
            except ValidationError as exc:
                add_errors(form, exc, self.error_aliases)
            else:
                if not quick:
                    messages.success(request, self.added_message % self.label_params(saved))
                    return redirect(self._back(request, card_url(customer.pk, self.tab)))
                form = self._form(request, customer, None, initial=self.add_initial(request, customer), bound=False)
        context = self._form_context(request, customer, None, form, self.title_add, card_url(customer.pk, self.tab))
        context["saved"] = saved
        if quick:
            response = render(request, self.quick_partial, context)  # type: ignore[arg-type]
            if saved is not None and self.quick_event:
                response["HX-Trigger"] = self.quick_event
            return response
        status = self.add_invalid_status if request.method == "POST" else 200
        return render(request, self.form_template, context, status=status)

    def edit_page(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        record = self.kind.get_or_404(user, pk, self.kind.change_action)
        customer = selectors.mask_customer(user, record.customer)
        form = self._edit_form(request, customer, record)
        status = self.edit_invalid_status if request.method == "POST" else 200
        if request.method == "POST" and form.is_valid():
            try:
                self.kind.update_record(actor=user, pk=pk, data=self._data(form),
                                        expected_version=form.expected_version)
            except StaleWrite as conflict:
                # Changed since this user opened the form: show it as it is now, with what they entered.
                record = self.kind.get_or_404(user, pk, self.kind.change_action)
                customer = selectors.mask_customer(user, record.customer)
                submitted, form, status = form, self._edit_form(request, customer, record, bound=False), 409
                form.show_conflict(conflict, submitted=submitted)
            except ValidationError as exc:
                add_errors(form, exc, self.error_aliases)
            else:
                messages.success(request, self.saved_message % self.label_params(record))
                return redirect(self._back(request, self._record_url(record)))
        context = self._form_context(request, customer, record, form, self.title_edit, self._record_url(record))
        return render(request, self.form_template, context, status=status)

    def delete_page(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        record = self.kind.get_or_404(user, pk, self.kind.delete_action)
        customer = selectors.mask_customer(user, record.customer)
        params = self.label_params(record)
        if request.method == "POST":
            self.kind.delete_record(actor=user, pk=pk)
            messages.success(request, self.deleted_message % params)
            return redirect(card_url(customer.pk, self.tab))
        return render(request, self.delete_template, {
            "customer": customer, "object": record, "cancel_url": self._record_url(record),
            "question": self.delete_question % params, "explanation": self.delete_explanation % params,
            **self.extra_context(request, customer, record),
        })

    def list_page(self, request: HttpRequest) -> HttpResponse:
        """Records of the customers the user sees, filtered, one keyset page; filtered by one
        customer, that customer heads the page."""
        user = request.user
        form = self.filter_form(request.GET or None, user=user)  # type: ignore[misc]
        filters = form.filters()
        select = self.list_selector
        try:
            page = select(user=user, filters=filters, cursor=request.GET.get("cursor") or None,  # type: ignore[misc]
                          size=self.page_size)
        except ValidationError:
            messages.warning(request, _("The page link was out of date; here is the first page."))
            page = select(user=user, filters=filters, size=self.page_size)  # type: ignore[misc]
        customer = None
        if filters.get("customer"):
            customer = selectors.customers_visible(user).only("id", "name").filter(pk=filters["customer"]).first()
        return render(request, self.list_template, {  # type: ignore[arg-type]
            "page": page, "filter_form": form, "filtered": bool(filters), "customer": customer,
            **self.extra_context(request, customer, None),
        })

    def detail_page(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        record = self.kind.get_or_404(user, pk, "view", read=self.read)
        customer = selectors.mask_customer(user, record.customer)
        can_change = self.kind.permits(user, pk, self.kind.change_action)
        same = self.kind.delete_action == self.kind.change_action
        return render(request, self.detail_template, {  # type: ignore[arg-type]
            "customer": customer, "object": record, self.object_name: record, "can_change": can_change,
            "can_delete": can_change if same else self.kind.permits(user, pk, self.kind.delete_action),
            **self.extra_context(request, customer, record),
        })

    # --- parts -----------------------------------------------------------------------------------

    def _form(self, request: HttpRequest, customer: Customer, record: Any, *, bound: bool = True,
              form_class: type[BaseForm] | None = None, **kwargs: Any) -> BaseForm:
        # As every form page of kehu: an empty POST is an unbound form, shown again without errors.
        data = (request.POST or None) if bound else None
        return (form_class or self.form)(data, **self.form_kwargs(request, customer, record), **kwargs)  # type: ignore[misc]

    def _edit_form(self, request: HttpRequest, customer: Customer, record: Any, *,
                   bound: bool = True) -> VersionedFormMixin:
        """The edit form of `record` as loaded, with its version; bound to the POST when `bound`."""
        form_class = versioned(self.form)  # type: ignore[arg-type]
        initial = {**model_to_dict(record, fields=form_class._meta.fields), **version_initial(record)}  # type: ignore[attr-defined]
        return self._form(request, customer, record, bound=bound, form_class=form_class, initial=initial,  # type: ignore[return-value]
                          instance=edit_instance(self.kind.model, record.pk, customer_id=customer.pk))

    @staticmethod
    def _data(form: BaseForm) -> dict[str, Any]:
        service_data = getattr(form, "service_data", None)
        if service_data is not None:
            return service_data()  # type: ignore[no-any-return]
        return {name: form.cleaned_data[name] for name in form._meta.fields if name in form.cleaned_data}  # type: ignore[attr-defined]

    def _record_url(self, record: Any) -> str:
        """The record's own page, or the card's tab it is shown on."""
        if self.detail_url_name:
            return reverse(self.detail_url_name, args=[record.pk])
        return card_url(record.customer_id, self.tab)

    @staticmethod
    def _back(request: HttpRequest, default: str) -> str:
        return safe_next(request, request.POST.get("next") or request.GET.get("next")) or default

    def _form_context(self, request: HttpRequest, customer: Customer, record: Any, form: BaseForm, title: Label,
                      default_back: str) -> dict[str, Any]:
        return {
            "form": form, "customer": customer, "object": record, self.object_name: record, "title": title,
            "cancel_url": self._back(request, default_back), "fields_partial": self.fields_partial,
            **self.extra_context(request, customer, record),
        }

