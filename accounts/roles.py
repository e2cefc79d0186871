"""Roles and what each may do: the one permission matrix (documented in docs/permissions.md).

Scope: a role with VIEW_ALL sees every customer; every other role sees the customers its user
owns or its user's team owns. Capabilities say what a user may do within that scope.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    ANALYST = "analyst", _("Analyst")


# Roles whose scope is "own and the team's customers": without a team such a user works alone, sees
# none of the colleagues' customers and is counted in no team's figures — a forgotten field, not a plan.
TEAM_ROLES = frozenset({Role.MANAGER, Role.SALES, Role.SERVICE})


class Cap:
    VIEW_ALL = "customer.view_all"
    ADD = "customer.add"
    CHANGE = "customer.change"
    DELETE = "customer.delete"
    RESTORE = "customer.restore"
    TRANSFER = "customer.transfer"
    EXPORT = "customer.export"
    AUDIT = "audit.view"
    MANAGE_USERS = "users.manage"
    CATALOGUE = "catalogue.manage"  # products: everyone reads the catalogue, these roles change it


CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {Cap.VIEW_ALL, Cap.ADD, Cap.CHANGE, Cap.DELETE, Cap.RESTORE, Cap.TRANSFER, Cap.EXPORT, Cap.AUDIT,
         Cap.MANAGE_USERS, Cap.CATALOGUE}
    ),
    Role.MANAGER: frozenset({Cap.ADD, Cap.CHANGE, Cap.DELETE, Cap.TRANSFER, Cap.EXPORT, Cap.AUDIT, Cap.CATALOGUE}),
    Role.SALES: frozenset({Cap.ADD, Cap.CHANGE, Cap.EXPORT}),
    Role.SERVICE: frozenset({Cap.ADD, Cap.CHANGE}),
    Role.ANALYST: frozenset({Cap.VIEW_ALL, Cap.EXPORT}),
}


# Roles whose users may own customers, and so be given customers or be made responsible for a
# class of them: those who may change customers. The read-only analyst may not.
OWNER_ROLES: frozenset[str] = frozenset(role for role, caps in CAPABILITIES.items() if Cap.CHANGE in caps)


class Sensitive:
    """Groups of sensitive customer fields that a role may see only masked."""

    ID_NUMBER = "id_number"
    PHONES = "phones"
    ASSETS = "assets"


MASKED: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(),
    Role.MANAGER: frozenset(),
    Role.SALES: frozenset({Sensitive.ID_NUMBER}),
    Role.SERVICE: frozenset({Sensitive.ID_NUMBER, Sensitive.ASSETS}),
    Role.ANALYST: frozenset({Sensitive.ID_NUMBER, Sensitive.PHONES}),
}
