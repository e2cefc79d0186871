"""Messages of Django itself that Django's zh_Hans catalogue does not translate, so that kehu's own
catalogue (locale/) does. This module is never imported: `makemessages` reads the marked strings.

Django 5.2 reworded MinimumLengthValidator's error ("… at least %d characters." instead of
"… %(min_length)d …"), and its zh_Hans catalogue still carries only the old wording: the add-user
and change-password forms showed the English sentence on Chinese pages while every other
validator's message was Chinese. Remove an entry when Django's catalogue catches up
(accounts/tests/test_views.py checks the message in both languages).
"""

from django.utils.translation import ngettext_lazy

DJANGO_MESSAGES = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
]
