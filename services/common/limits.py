"""A time limit as the documents state one: minutes, hours, calendar days or working days."""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.workdays import END_OF_DAY, SHANGHAI, Calendar

_UNITS_ZH = {"minutes": "分钟", "hours": "小时", "days": "天", "working_days": "个工作日"}


class Limit(BaseModel):
    """Exactly one of the four units. Days (calendar or working) run from the day after the
    start and end at 23:59:59 Shanghai time of the last day (001 第十条)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    minutes: int | None = Field(default=None, ge=1, le=10_000)
    hours: int | None = Field(default=None, ge=1, le=2_000)
    days: int | None = Field(default=None, ge=1, le=365)
    working_days: int | None = Field(default=None, ge=1, le=250)

    @model_validator(mode="after")
    def _one_unit(self) -> "Limit":
        given = [u for u in _UNITS_ZH if getattr(self, u) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of minutes, hours, days or working_days")
        return self

    @property
    def unit(self) -> str:
        return next(u for u in _UNITS_ZH if getattr(self, u) is not None)

    @property
    def amount(self) -> int:
        return getattr(self, self.unit)

    def describe(self) -> str:
        """The limit in Chinese, e.g. ``20个工作日`` or ``24小时``."""
        return f"{self.amount}{_UNITS_ZH[self.unit]}"

    def due_at(self, start: datetime, calendar: Calendar) -> datetime:
        """When the limit ends for something that started at ``start`` (UTC)."""
        if self.minutes is not None:
            return (start + timedelta(minutes=self.minutes)).astimezone(UTC)
        if self.hours is not None:
            return (start + timedelta(hours=self.hours)).astimezone(UTC)
        if self.days is not None:
            day = start.astimezone(SHANGHAI).date() + timedelta(days=self.days)
            return datetime.combine(day, END_OF_DAY, SHANGHAI).astimezone(UTC)
        return calendar.end_of_working_day_after(start, self.amount)

    def total_with(self, extension: "Limit") -> "Limit | None":
        """This limit plus an extension in the same unit (None if the units differ)."""
        if extension.unit != self.unit:
            return None
        return Limit(**{self.unit: self.amount + extension.amount})
