from core.parts import part_modules
from wealth.apps import PARTS

app_name = "wealth"

# One URL module per part of the app (wealth/urls_<part>.py); each adds its patterns here.
urlpatterns: list = []
for _module in part_modules("wealth", "urls", PARTS):
    urlpatterns += _module.urlpatterns
