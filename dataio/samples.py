"""The downloadable import templates: the columns of one kind of import in the user's language,
one example row, and the allowed values of the choice columns.

- XLSX: sheet 1 holds the header and the example row (grey, with a note "delete before importing");
  choice columns get a drop-down of their allowed values, which sheet 2 lists column by column.
- CSV: the header and the same example row (a CSV file has no second sheet and no notes: the allowed
  values are in the XLSX template and in docs/import.md).
See docs/import.md ("Templates").
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.models import User
from dataio.importers.base import ImportField

# Example values by field name: one value, or (Chinese, English) when the language shows.
_EXAMPLES: dict[str, dict[str, str | tuple[str, str]]] = {
    "customers": {
        "external_id": "C-0001", "name": ("张伟", "Zhang Wei"), "phone": "138-1234-5678",
        "email": "zhangwei@example.com", "wechat_id": "zhangwei_88",
        # The worked example of GB 11643-1999: a valid resident ID number (birth date 1949-12-31).
        "id_number": "11010519491231002X", "birthday": "1949-12-31",
        "province": ("北京", "Beijing"), "city": ("北京", "Beijing"),
        "address": ("朝阳区建国路 88 号", "88 Jianguo Rd"),
        "postal_code": "100022", "occupation": ("教师", "Teacher"), "assets": "500000", "tags": "VIP",
    },
    "contacts": {
        "external_id": "CT-0001", "customer": "C-0001", "name": ("李娜", "Li Na"),
        "title": ("采购经理", "Purchasing manager"), "phone": "139-8765-4321", "email": "lina@example.com",
    },
    "products": {
        "code": "P-001", "name": ("年度理财顾问服务", "Annual advisory service"), "category": ("服务", "Services"),
        "price": "1200.00", "unit_cost": "800.00", "unit": ("次", "session"),
    },
    "orders": {
        "external_id": "SO-0001", "customer": "C-0001", "ordered_at": "2024-03-05", "product": "P-001",
        "quantity": "2", "unit_price": "1200.00", "discount": "10%", "region": ("华北", "North"),
    },
    "interactions": {
        "external_id": "I-0001", "customer": "C-0001", "occurred_at": "2024-03-05 14:30",
        "subject": ("咨询新基金", "Asked about the new fund"),
        "content": ("客户想了解风险等级", "Wants to know the risk level"),
    },
    "costs": {
        "external_id": "K-0001", "customer": "C-0001", "incurred_on": "2024-03-05", "amount": "150.00",
        "order": "SO-0001",
    },
    "holdings": {
        "external_id": "H-0001", "customer": "C-0001", "product_name": ("招行朝朝宝", "Money-market fund A"),
        "product_code": "MMF-A", "amount": "200000.00", "started_on": "2024-03-05", "matures_on": "2025-03-05",
        "risk_level": "R2", "institution": "", "notes": "",
    },
}
_BY_KIND = {"date": "2024-03-05", "datetime": "2024-03-05 14:30", "decimal": "100", "percent": "10%", "int": "1"}
_USER_REFS = {"owner", "salesperson", "staff"}


def _bool_options() -> list[str]:
    return [_("yes"), _("no")]


def example_row(kind: str, fields: list[ImportField], user: User) -> list[str]:
    """One plausible value per column (empty where an example would only be noise)."""
    chinese = (get_language() or "").startswith("zh")
    examples = _EXAMPLES.get(kind, {})
    row = []
    for f in fields:
        value: Any = examples.get(f.name)
        if isinstance(value, tuple):
            value = value[0] if chinese else value[1]
        if value is None:
            if f.name in _USER_REFS:
                value = user.username
            elif f.kind == "choice" and f.options:
                value = str(f.options[0][1])
            elif f.kind == "bool":
                value = _bool_options()[0]
            else:
                value = _BY_KIND.get(f.kind, "")
        row.append(value)
    return row


def allowed_values(fields: list[ImportField]) -> list[tuple[str, list[str]]]:
    """(column, allowed values) of the choice and yes/no columns, in the user's language."""
    out = []
    for f in fields:
        if f.kind == "choice" and f.options:
            out.append((str(f.label), [str(label) for _value, label in f.options]))
        elif f.kind == "bool":
            out.append((str(f.label), _bool_options()))
    return out


def template_csv(kind: str, fields: list[ImportField], user: User) -> str:
    """Header and example row, UTF-8 with a byte-order mark (Excel then reads the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([str(f.label) for f in fields])
    writer.writerow(example_row(kind, fields, user))
    return out.getvalue()


def template_xlsx(kind: str, title: str, fields: list[ImportField], user: User) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([str(f.label) for f in fields])
    sheet.append(example_row(kind, fields, user))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    sheet["A2"].comment = Comment(_("Example row: replace it with your data or delete it before importing — "
                                    "left in, it is imported like any other row."), "kehu")
    sheet.freeze_panes = "A2"
    for i, f in enumerate(fields, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(str(f.label)) * 2 + 4))

    allowed = allowed_values(fields)
    if allowed:
        values = workbook.create_sheet(_("Allowed values")[:31])
        by_label = {str(f.label): i for i, f in enumerate(fields, start=1)}
        for col, (label, options) in enumerate(allowed, start=1):
            letter = get_column_letter(col)
            values.cell(row=1, column=col, value=label).font = Font(bold=True)
            for row, option in enumerate(options, start=2):
                values.cell(row=row, column=col, value=option)
            values.column_dimensions[letter].width = max(14, len(label) * 2 + 4)
            # A drop-down on the data column: the list on sheet 2 (any spelling kehu reads is still accepted).
            target = get_column_letter(by_label[label])
            check = DataValidation(type="list", allow_blank=True, showErrorMessage=False,
                                   formula1=f"'{values.title}'!${letter}$2:${letter}${len(options) + 1}")
            check.add(f"{target}2:{target}10000")
            sheet.add_data_validation(check)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
