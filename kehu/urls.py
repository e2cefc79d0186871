from django.urls import include, path, re_path

from core.api import api_not_found
from kehu import views
from kehu.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("customers/", include("customers.urls")),
    path("audit/", include("audit.urls")),
    path("", include("commerce.urls")),
    path("work/", include("work.urls")),
    path("interactions/", include("interactions.urls")),
    path("data/", include("dataio.urls")),
    path("governance/", include("governance.urls")),
    path("segmentation/", include("segmentation.urls")),
    path("insights/", include("insights.urls")),
    path("wealth/", include("wealth.urls")),
    path("service/", include("service.urls")),
    path("retention/", include("retention.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # Anything else under /api/ (an unknown path, an id that is not a number) answers as the API
    # does, in JSON, not with the site's HTML 404 page.
    re_path(r"^api/", api_not_found),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
