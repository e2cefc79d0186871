"""Forms of the knowledge base's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from service.categories import ServiceCategory
from service.models import Article, ArticleLanguage, ArticleStatus


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["problem", "solution", "category", "language"]
        widgets = {"problem": forms.TextInput(attrs={"size": 80}), "solution": forms.Textarea(attrs={"rows": 12})}


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Any")), *ArticleLanguage.choices])
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("Any")), *ServiceCategory.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *ArticleStatus.choices])

    def __init__(self, *args: Any, drafts: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not drafts:
            del self.fields["status"]

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
