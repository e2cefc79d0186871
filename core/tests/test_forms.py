"""The fast form renderer builds exactly the HTML of Django's widget templates."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from core.forms import FastFormRenderer


class Everything(forms.Form):
    text = forms.CharField(initial='say "<hi>" & go', max_length=20)
    grouped = forms.ChoiceField(choices=[("第一组", [("1", "一"), ("2", "<b>")]), ("3", "three")], initial="2")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial="a & b")
    empty_note = forms.CharField(widget=forms.Textarea, required=False)
    flag = forms.BooleanField(initial=True)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(min_value=0)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], initial=["a", "b"])
    email = forms.EmailField(disabled=True)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="pw")
    hidden = forms.CharField(widget=forms.HiddenInput, initial="h")
    picks = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple)


@pytest.mark.parametrize("data", [None, {"text": "q<", "grouped": "3", "count": "x"}])
def test_same_html_as_django_templates(data):
    form = Everything(data=data)
    for name in form.fields:
        form.renderer = FastFormRenderer()
        fast = str(form[name].as_widget())
        form.renderer = DjangoTemplates()
        slow = str(form[name].as_widget())
        assert fast == slow, name


def test_is_the_configured_renderer_and_falls_back_for_other_templates():
    form = Everything()
    assert isinstance(form.renderer, FastFormRenderer)
    # Checkbox lists are not built in Python: they come from Django's templates, unchanged.
    html = str(form["picks"])
    assert 'type="checkbox"' in html and 'value="x"' in html
