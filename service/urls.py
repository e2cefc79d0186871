from core.parts import part_modules
from service.apps import PARTS

app_name = "service"

# One URL module per part of the app (service/urls_<part>.py); each adds its patterns here.
urlpatterns: list = []
for _module in part_modules("service", "urls", PARTS):
    urlpatterns += _module.urlpatterns
