from core.parts import part_modules
from retention.apps import PARTS

app_name = "retention"

# One URL module per part of the app (retention/urls_<part>.py); each adds its patterns here.
urlpatterns: list = []
for _module in part_modules("retention", "urls", PARTS):
    urlpatterns += _module.urlpatterns
