"""Form rendering without the per-widget template cost.

Django renders every widget, and every <option> of a select, through a template include; a list
page with four filter selects spent more time there than in its database queries. The renderer
below builds the markup of Django's own plain widget templates (input, select with options,
textarea) directly in Python — byte-for-byte the same HTML — and hands every other template
(form layouts, custom widgets) to Django's template renderer as usual.

It also holds `add_errors`, how every page shows a service's refusal on its form.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import django
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

_WIDGETS = Path(django.__file__).parent / "forms" / "templates" / "django" / "forms" / "widgets"
_INPUT_INCLUDE = '{% include "django/forms/widgets/input.html" %}'


@cache
def _input_templates() -> frozenset[str]:
    """Django's widget templates that only include input.html (text, email, hidden, date, …)."""
    names = {"django/forms/widgets/input.html"}
    for path in _WIDGETS.glob("*.html"):
        if path.read_text().strip() == _INPUT_INCLUDE:
            names.add(f"django/forms/widgets/{path.name}")
    return frozenset(names)


def _attrs(attrs: dict[str, Any]) -> str:
    # As django/forms/widgets/attrs.html: False is left out, True is a bare attribute.
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}" if value is True else
                   f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
    return (f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f'{value}{_attrs(widget["attrs"])}>')


def _select(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    # Each option is an include of select_option.html in Django, whose final newline stays in the output.
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != "django/forms/widgets/select_option.html":
                raise _Fallback
            parts.append(f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                         f'{_attrs(option["attrs"])}>{conditional_escape(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


class _Fallback(Exception):
    """A widget this renderer does not build itself: render its template."""


class FastFormRenderer(DjangoTemplates):
    """Django's template renderer, with the plain widgets built directly (see the module docstring)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            try:
                if template_name in _input_templates():
                    return _input(widget)
                if template_name == "django/forms/widgets/select.html":
                    return _select(widget)
                if template_name == "django/forms/widgets/textarea.html":
                    return _textarea(widget)
            except _Fallback:
                pass
        return super().render(template_name, context, request)


def add_errors(form: BaseForm, exc: ValidationError, aliases: Mapping[str, str] | None = None) -> None:
    """Put a service's ValidationError next to the fields it names, or on top of the form.

    Services name model fields; a form may show one under another name (`aliases`: service field →
    form field, e.g. a follow-up's ``title`` is the form's ``follow_up_title``). A name the form has
    no field for goes on top, so no message is ever lost."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        target = name if name in form.fields else (aliases or {}).get(name)
        form.add_error(target if target in form.fields else None, errors)
