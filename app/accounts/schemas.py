from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Any local@domain: trusts use internal domains (.local, .nhs.uk) that strict validators refuse.
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    password: str = Field(min_length=1, max_length=256)


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    display_name: str = Field(min_length=1, max_length=80)
    password: str | None = Field(default=None, min_length=12, max_length=256)
    """None: the account signs in only through single sign-on."""
    is_admin: bool = False


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    display_name: str
    is_admin: bool
    created_at: datetime
