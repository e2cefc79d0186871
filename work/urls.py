from work import urls_calendar, urls_notifications, urls_plans, urls_tasks

app_name = "work"

# One URL module per part of the app (work/urls_<part>.py); each adds its patterns here.
urlpatterns: list = []
urlpatterns += urls_tasks.urlpatterns
urlpatterns += urls_calendar.urlpatterns
urlpatterns += urls_plans.urlpatterns
urlpatterns += urls_notifications.urlpatterns
