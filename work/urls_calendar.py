"""The calendar's pages (namespace work)."""

from django.urls import path

from work import views_calendar as views

urlpatterns = [
    path("calendar/", views.calendar_week, name="calendar_week"),
    path("calendar/day/", views.calendar_day, name="calendar_day"),
    path("calendar/month/", views.calendar_month, name="calendar_month"),
    path("calendar/team/", views.calendar_team, name="calendar_team"),
    path("calendar/subscribe/", views.calendar_feed_settings, name="calendar_feed_settings"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("appointments/new/", views.appointment_add, name="appointment_add"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/edit/", views.appointment_edit, name="appointment_edit"),
    path("appointments/<int:pk>/delete/", views.appointment_delete, name="appointment_delete"),
    path("appointments/<int:pk>/outcome/", views.appointment_outcome, name="appointment_outcome"),
    path("appointments/<int:pk>/ics/", views.appointment_ics, name="appointment_ics"),
    path("appointments/<int:pk>/move/", views.appointment_move, name="appointment_move"),
]
