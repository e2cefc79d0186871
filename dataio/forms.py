"""Forms of the import pages: upload, column mapping. They validate only; views call dataio.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dataio.importers.base import ImportField


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK, as Excel saves it) or Excel .xlsx; the first row names the columns."),
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.tsv,.xlsx"
        self.fields["file"].help_text = _(
            "CSV (UTF-8 or GBK, as Excel saves it) or Excel .xlsx, up to %(limit)s MB; the first row names "
            "the columns."
        ) % {"limit": settings.KEHU_IMPORT_MAX_BYTES // 1048576}


class MappingForm(forms.Form):
    """One select per file column: the field it feeds, or nothing."""

    def __init__(self, *args: Any, headers: list[str], fields: list[ImportField], mapping: dict[str, int],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_column = {col: name for name, col in mapping.items()}
        choices = [("", _("— not imported —"))] + [
            (f.name, f"{f.label} *" if f.needed else str(f.label)) for f in fields
        ]
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=by_column.get(i, ""),
            )

    def mapping(self) -> dict[str, int]:
        """{field: column} from the selects (a field chosen twice keeps both, for the service to refuse)."""
        out: dict[str, int] = {}
        self.twice: list[str] = []
        for name, value in self.cleaned_data.items():
            if value:
                if value in out:
                    self.twice.append(value)
                out[value] = int(name.split("_", 1)[1])
        return out
