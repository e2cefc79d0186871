from work import urls_plans

app_name = "work"

# One URL module per part of the app (work/urls_<part>.py); each adds its patterns here.
urlpatterns: list = []
urlpatterns += urls_plans.urlpatterns
