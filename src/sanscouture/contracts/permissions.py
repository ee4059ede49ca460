"""Who may do what with contracts and action sheets (the one place where it is decided).

- Reading contracts, sheets and levers: any agent of an active body, or a body's API token (public commitments
  between public bodies; « the levers held by the others » is there to be seen by those others).
- Creating a contract: someone who may act for one of its signatories (an administrator or référent of the body;
  its API token with the référent role acts as it; a platform administrator for State bodies — the same rule as
  competence declarations, accounts.permissions.can_declare_for, docs/adr/013).
- Writing in a contract (its sheets, their budget lines, steps, indicators): someone who may act for a signatory, or
  for the sheet's pilot.
- Shared files of a sheet: agents (any role) of its pilot, its partners and the contract's signatories.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from sanscouture.accounts.models import Membership
from sanscouture.accounts.permissions import can_declare_for
from sanscouture.bodies.models import Body

from .models import ActionSheet, Contract

User = AbstractBaseUser | AnonymousUser


def can_act_for(user: User, body: Body) -> bool:
    """Commit `body` to a contract or an action: its administrators and référents (and their API tokens)."""
    return can_declare_for(user, body)


def can_edit_contract(user: User, contract: Contract) -> bool:
    return any(can_act_for(user, s.body) for s in contract.signatories.select_related("body"))


def can_edit_sheet(user: User, sheet: ActionSheet) -> bool:
    return can_act_for(user, sheet.pilot) or can_edit_contract(user, sheet.contract)


def sheet_member_body_ids(sheet: ActionSheet) -> set[int]:
    """The bodies that share a sheet's files: its pilot, its partners, the contract's signatories."""
    ids = {sheet.pilot_id, *sheet.partners.values_list("pk", flat=True)}
    ids |= set(sheet.contract.signatories.values_list("body_id", flat=True))
    return ids


def can_use_sheet_files(user: User, sheet: ActionSheet) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return Membership.objects.filter(user=user, body__active=True, body_id__in=sheet_member_body_ids(sheet)).exists()
