from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# Any local@domain: trusts use internal domains (.local, .nhs.uk) that strict validators refuse.
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    password: str = Field(min_length=1, max_length=256)


DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Password = Annotated[str, Field(min_length=12, max_length=256)]
Token = Annotated[str, Field(min_length=1, max_length=200)]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    display_name: DisplayName
    password: Password | None = None
    """None (and no ``password_link``): the account signs in only through single sign-on."""
    password_link: bool = False
    """Answer with a one-time link for the account's holder to set their own password."""
    is_admin: bool = False
    is_programme_lead: bool = False

    @model_validator(mode="after")
    def _one_way_to_a_password(self) -> AccountCreate:
        if self.password is not None and self.password_link:
            raise ValueError("give a password or ask for a password link, not both")
        return self


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: DisplayName | None = None
    is_admin: bool | None = None
    is_programme_lead: bool | None = None


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    display_name: str
    is_admin: bool
    is_programme_lead: bool
    created_at: datetime


class AccountDetail(AccountOut):
    """An account as an admin sees it."""

    has_password: bool
    """False: it signs in only through single sign-on (or once its password link is used)."""
    disabled_at: datetime | None
    password_link_expires_at: datetime | None = None
    """When its unused password link stops working; None if it has none."""


class AccountCreated(AccountDetail):
    password_link: str | None = None
    """The one-time link to set the password: in this answer only, never again."""


class PasswordLinkToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Token


class PasswordSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Token
    password: Password


class PasswordLinkPreview(BaseModel):
    """Whose password a link sets (the page shows it, and password managers save it)."""

    email: str
    display_name: str
    expires_at: datetime
