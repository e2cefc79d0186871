"""`kehu check --deploy` includes kehu's own production guards."""

from django.core.checks import Error, Tags, register

from core.startup import production_problems


@register(Tags.security, deploy=True)
def production_guards(app_configs, **kwargs):  # noqa: ANN001, ARG001 (Django's check signature)
    return [Error(p, id="kehu.E001") for p in production_problems()]
