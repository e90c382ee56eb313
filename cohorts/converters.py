"""URL converters that only match known values, so a bad one is a 404, never a 500."""

from .pillars import Pillar


class ChoiceConverter:
    choices: list[str] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.regex = "|".join(cls.choices)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class PillarConverter(ChoiceConverter):
    choices = [p.value for p in Pillar]


class DecisionConverter(ChoiceConverter):
    choices = ["approve", "reject", "revoke"]
