from django.urls import path

from accounts import token_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("users/", views.user_list, name="user_list"),
    path("users/add/", views.user_add, name="user_add"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("teams/", views.team_list, name="team_list"),
    path("tokens/add/", token_views.token_add, name="token_add"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
