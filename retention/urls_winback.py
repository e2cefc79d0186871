from django.urls import path

from retention import views_winback as views

urlpatterns = [
    path("winback/", views.winback, name="winback"),
    path("winback/campaigns/new/", views.campaign_new, name="winback_campaign_new"),
    path("winback/campaigns/<int:campaign_id>/", views.campaign_detail, name="winback_campaign"),
    path("winback/campaigns/<int:campaign_id>/progress/", views.campaign_progress, name="winback_campaign_progress"),
    path("winback/reason-unknown/", views.reason_unknown, name="winback_unknown"),
    path("winback/customers/<int:customer_pk>/lost/", views.mark_lost, name="winback_mark_lost"),
    path("winback/scripts/", views.scripts, name="winback_scripts"),
    path("winback/scripts/<str:reason>/", views.script_edit, name="winback_script_edit"),
]
