"""Reading the fields of a JSON request body: every problem collected, each naming its field and value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fairwatch.errors import InvalidInput, Problem
from fairwatch.events.inputs import MAX_ID, check_document, text_problem
from fairwatch.events.validate import parse_time

MAX_NAME = 128
MAX_TEXT = 4000


class Fields:
    """A JSON object's fields, read one by one; `done()` raises every problem found as one InvalidInput."""

    def __init__(self, doc: Any, allowed: Iterable[str], what: str) -> None:
        self.what = what
        self.problems: list[Problem] = []
        if not isinstance(doc, dict):
            self.doc: dict[str, Any] = {}
            self.problems.append(Problem("body", None, "must be a JSON object"))
            return
        self.doc = doc
        self.problems += check_document(doc)
        names = set(allowed)
        self.problems += [Problem(k, None, "is not a field of this request") for k in doc if k not in names]

    def has(self, name: str) -> bool:
        return self.doc.get(name) is not None

    def fail(self, name: str, value: Any, message: str) -> None:
        self.problems.append(Problem(name, value, message))

    def text(
        self, name: str, *, required: bool = False, free: bool = True, limit: int = MAX_TEXT
    ) -> str | None:
        """A string (a name when not `free`: no control characters), or None when absent."""
        value = self.doc.get(name)
        if value is None:
            if required:
                self.fail(name, None, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(name, value, "must be a non-empty string")
            return None
        if len(value) > limit:
            self.fail(name, f"{value[:40]}...", f"must be at most {limit} characters")
            return None
        problem = text_problem(name, value, free_text=free)
        if problem is not None:
            self.problems.append(problem)
            return None
        return value

    def name(self, name: str, *, required: bool = False) -> str | None:
        return self.text(name, required=required, free=False, limit=MAX_NAME)

    def choice(self, name: str, allowed: Iterable[str], *, required: bool = False) -> str | None:
        options = list(allowed)
        value = self.doc.get(name)
        if value is None:
            if required:
                self.fail(name, None, f"is required (one of {', '.join(options)})")
            return None
        if value not in options:
            self.fail(name, value, f"must be one of {', '.join(options)}")
            return None
        return str(value)

    def integer(self, name: str, low: int = 1, high: int = MAX_ID) -> int | None:
        value = self.doc.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(name, value, f"must be an integer from {low} to {high}")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.doc.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.fail(name, value, "must be true or false")
            return None
        return value

    def time(self, name: str) -> float | None:
        """An RFC 3339 timestamp with a time zone, as Unix seconds."""
        value = self.doc.get(name)
        if value is None:
            return None
        parsed = parse_time(value)
        if parsed is None:
            self.fail(name, value, "must be an RFC 3339 timestamp with a time zone")
        return parsed

    def ids(self, name: str, *, required: bool = False) -> list[int]:
        """A list of 1 to 100 distinct ids."""
        value = self.doc.get(name)
        if value is None:
            if required:
                self.fail(name, None, "is required")
            return []
        ok = isinstance(value, list) and 1 <= len(value) <= 100
        if not ok or any(
            isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_ID for v in value
        ):
            self.fail(name, value, f"must be a list of 1 to 100 ids from 1 to {MAX_ID}")
            return []
        return list(dict.fromkeys(value))

    def names(self, name: str) -> tuple[str, ...] | None:
        """A list of up to 20 names."""
        value = self.doc.get(name)
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or len(value) > 20
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            self.fail(name, value, "must be a list of up to 20 non-empty strings")
            return None
        for i, v in enumerate(value):
            if len(v) > MAX_NAME or text_problem(name, v, free_text=False) is not None:
                self.fail(f"{name}[{i}]", v, f"must be a name of at most {MAX_NAME} characters")
                return None
        return tuple(dict.fromkeys(value))

    def location(self, name: str) -> dict[str, float] | None:
        """{lat, lon} (WGS 84) or {x, y} (the site plan)."""
        value = self.doc.get(name)
        if value is None:
            return None
        if isinstance(value, dict) and set(value) in ({"lat", "lon"}, {"x", "y"}):
            nums = {k: v for k, v in value.items() if isinstance(v, int | float) and not isinstance(v, bool)}
            in_range = abs(nums.get("lat", 0)) <= 90 and abs(nums.get("lon", 0)) <= 180
            if len(nums) == 2 and in_range and all(abs(v) < 1e9 for v in nums.values()):
                return {k: float(v) for k, v in nums.items()}
        self.fail(name, value, "must be {lat, lon} or {x, y} with numbers in range")
        return None

    def done(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems, f"invalid {self.what}")
