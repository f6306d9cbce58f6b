"""The joint meeting's request bodies: its decisions on a case."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts import Department
from services.common.text import FreeLine, FreeText, StaffName

By = Annotated[StaffName | None, Field(
    description="who decides: the signed-in supervisor's username (optional: taken from the "
                "credential)")]


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: Department
    by: By = None
    note: FreeText = Field(default="", max_length=400)


class ReferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: FreeLine = Field(min_length=1, max_length=200)
    by: By = None
    note: FreeText = Field(default="", max_length=1000)
