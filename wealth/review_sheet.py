"""The review sheet handed to the customer: its language and its XLSX workbook (the printed page is
the template wealth/reviews/review_sheet.html with the print stylesheet)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.masking import AMOUNT_MASK
from core.tabular import cell
from wealth.models import ReviewSchedule
from wealth.review_changes import Movement
from wealth.selectors_reviews import ReviewPage

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def sheet_language(customer_id: int) -> str:
    """The language of the customer's review sheet: the one set on their review settings, else the
    site's default."""
    chosen = ReviewSchedule.objects.filter(customer_id=customer_id).values_list("language", flat=True).first()
    return chosen if chosen in LANGUAGE_CODES else settings.LANGUAGE_CODE


def movement_label(movement: str) -> str:
    return {
        Movement.NEW: _("new"), Movement.CLOSED: _("closed"), Movement.UP: _("up"), Movement.DOWN: _("down"),
        Movement.UNCHANGED: _("unchanged"),
    }[Movement(movement)]


def review_workbook(page: ReviewPage) -> bytes:
    """The review as one sheet: the heading and totals, then a line per holding with its change."""
    review = page.review
    masked = page.masked

    def amount(value: Any) -> Any:
        return AMOUNT_MASK if masked and value is not None else value

    book = Workbook()
    sheet = book.active
    sheet.title = _("Asset review")[:31]
    sheet.append([cell(_("Asset review of %(customer)s") % {"customer": review.customer.name}, for_xlsx=True)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Review date"), review.reviewed_on])
    sheet.append([_("Reporting currency"), review.currency])
    sheet.append([_("Total assets"), amount(review.assets)])
    sheet.append([_("Liabilities"), amount(review.liabilities)])
    sheet.append([_("Net worth"), amount(review.net_worth)])
    if page.totals is not None:
        sheet.append([_("Change of net worth since the previous review"), amount(page.totals.net_worth)])
    sheet.append([_("Next review"), review.next_review_on])
    sheet.append([])
    header = [_("Class"), _("Product"), _("Institution"), _("Risk level"), _("Amount"), _("Currency"),
              _("Amount in %(currency)s") % {"currency": review.currency}, _("Change"), _("Change (%)"),
              _("Since the previous review")]
    sheet.append(header)
    for cell_ in sheet[sheet.max_row]:
        cell_.font = Font(bold=True)
    for line, change in page.rows:
        source = change.current or change.previous
        assert source is not None
        share = None if change.share is None or masked else float(change.share)
        sheet.append([
            line.get_asset_class_display() if line else source.asset_class,
            cell(line.product_name if line else "", for_xlsx=True),
            cell(line.institution if line else "", for_xlsx=True),
            line.risk_level if line else "",
            amount(line.amount if line else None), line.currency if line else source.currency,
            amount(line.converted_amount if line else None), amount(change.change), share,
            movement_label(change.movement),
        ])
        if share is not None:
            sheet.cell(row=sheet.max_row, column=9).number_format = "0.0%"
    sheet.append([])
    sheet.append([_("What was discussed"), cell(review.notes, for_xlsx=True)])
    sheet.append([_("Next steps"), cell(review.next_steps, for_xlsx=True)])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 32
    out = BytesIO()
    book.save(out)
    return out.getvalue()
