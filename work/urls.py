from work import urls_calendar

app_name = "work"

# One URL module per part of the app (work/urls_<part>.py); each adds its patterns here.
urlpatterns: list = []
urlpatterns += urls_calendar.urlpatterns
