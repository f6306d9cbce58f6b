"""Fuzzing a service's HTTP API with schemathesis (its OpenAPI document) and hypothesis.

The app is loaded with ``schemathesis.openapi.from_asgi``, which runs its real lifespan
(database, NATS, consumers, outbox relay) on schemathesis' own event-loop thread and sends
every generated request to it in-process. ``Fuzzer.fuzz_operation`` goes over one operation at
a time, so that a failure in one does not hide those of the others; ``report`` lists them all.

Each operation gets, in this order:

- any hand-shaped requests the test adds (e.g. bodies that pass the business validation,
  which a generator does not stumble on), first, while what they act on is still untouched;
- edge values: a few valid requests, each sent again with every query or path parameter and
  every body string, one at a time, swapped for values that databases and parsers choke on
  (NUL characters, integers past 32 and 64 bits, long text...): none is left to chance;
- schemathesis' positive requests (valid per the document) and negative ones (invalid on
  purpose), optionally also with path parameters pinned to things that exist.

Two kinds of failure:

- errors: a 5xx (or an exception escaping the app, which a client sees as a 500), or a body
  that does not match the documented response schema. The run stops there and reports the
  request as sent, as curl (no shrinking: against a live app it can take minutes).
- undocumented: a status code, content type or header that the OpenAPI document does not list.
  Recorded (one example request for each) without stopping, so they cannot hide an error.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.python import asgi

from tests.support.documents import replaced

ERROR_CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
]
DOCUMENTED_CHECKS = [
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
]
REQUEST_TIMEOUT = 15.0

# Values that valid-looking input may carry and that the layers under the API may not take.
EDGE_STRINGS = ["\x00", "a\x00b", "x" * 5000, "🙂" * 300, "' OR '1'='1 --", ""]
EDGE_INTEGERS = [2**31, 2**63, 2**64, -(2**63) - 1, -1, 0]
EDGE_BASES = 3  # requests each edge-value run starts from (each gives every swap)


class AppCrashed(AssertionError):
    """The app raised instead of answering: a client would get a 500."""


@dataclass
class Exchange:
    case: Case
    status: int
    body: Any


@dataclass
class Fuzzer:
    schema: Any  # schemathesis' OpenApiSchema
    max_examples: int = 30
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    undocumented: dict[tuple[str, str, int], str] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    exchanges: list[Exchange] = field(default_factory=list)
    timings: list[tuple[float, str, int]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # Signs each request (tests/support/auth.py ``Signer.headers``): every API needs a caller.
    sign: Callable[[Any], dict[str, str]] | None = None

    @classmethod
    def for_app(cls, app: Any, **kwargs: Any) -> Fuzzer:
        """Load the app's OpenAPI document; this starts the app's lifespan (stop it with ``stop``)."""
        # Not sanitized: the reproducing requests show Idempotency-Key as it was sent.
        config = schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})
        return cls(schemathesis.openapi.from_asgi("/openapi.json", app, config=config), **kwargs)

    @staticmethod
    def stop() -> None:
        """End the lifespans of the apps schemathesis started (database, NATS connections...)."""
        asgi.shutdown_lifespans()

    def operations(self) -> list[Any]:
        return [result.ok() for result in self.schema.get_all_operations()]

    def operation(self, method: str, path: str) -> Any:
        return self.schema[path][method.upper()]

    def call(self, case: Case) -> Any:
        """Send one request outside any fuzzing (to seed or to look), checking nothing."""
        return case.call(timeout=REQUEST_TIMEOUT, headers=self._signed(case))

    def _signed(self, case: Case) -> dict[str, str] | None:
        return self.sign(case.body) if self.sign else None

    # -- Fuzzing -------------------------------------------------------------------------------

    def fuzz_operation(
        self,
        operation: Any,
        *,
        pinned: dict[str, list[Any]] | None = None,
        extra: Iterable[tuple[str, st.SearchStrategy[Any], int]] = (),
    ) -> None:
        """``extra`` runs (name, strategy, examples), then edge values, positive and negative
        requests (also with ``pinned`` path parameters, one of the values given for each)."""
        for name, s, examples in extra:
            self._run(operation.label, name, s, examples)
        if not list(operation.iter_parameters()) and not operation.body:
            self._run(operation.label, "positive", operation.as_strategy(), 1)
            return
        variants = [("", None)]
        if pinned:
            variants.append(("existing, ", [
                {name: value} for name, values in pinned.items() for value in values]))

        def strategy(mode: GenerationMode, paths: list[dict[str, Any]] | None) -> st.SearchStrategy[Case]:
            if paths is None:
                return operation.as_strategy(generation_mode=mode)
            return st.one_of([operation.as_strategy(generation_mode=mode, path_parameters=p)
                              for p in paths])

        positive = {prefix: strategy(GenerationMode.POSITIVE, paths) for prefix, paths in variants}
        runs = [(f"{prefix}edge values", self.edge(s), EDGE_BASES) for prefix, s in positive.items()]
        for prefix, paths in variants:
            runs.append((f"{prefix}positive", positive[prefix], self.max_examples))
            runs.append((f"{prefix}negative", strategy(GenerationMode.NEGATIVE, paths),
                         self.max_examples))
        for name, s, examples in runs:
            self._run(operation.label, name, s, examples)

    def edge(self, cases: st.SearchStrategy[Case]) -> st.SearchStrategy[list[tuple[str, Case]]]:
        """For each request drawn from ``cases``: copies of it, each with one query or path
        parameter, or one string in the body, swapped for an edge value of its type — every
        such swap, so that none is left to chance — each with where the swap is."""

        def swapped(case: Case) -> list[tuple[str, Case]]:
            targets: list[tuple[str, Any, list[Any]]] = []
            for parameter in case.operation.iter_parameters():
                location = str(getattr(parameter.location, "value", parameter.location))
                if location in ("path", "query"):
                    kind = (parameter.definition.get("schema") or {}).get("type")
                    # An empty path segment is another URL (a redirect, a 405), not a value.
                    strings = [s for s in EDGE_STRINGS if s or location == "query"]
                    targets.append((location, parameter.name,
                                    EDGE_INTEGERS if kind == "integer" else strings))
            targets += [("body", path, EDGE_STRINGS) for path in _string_paths(case.body)]
            out = []
            for location, where, values in targets:
                for value in values:
                    path, query, body = dict(case.path_parameters), dict(case.query or {}), case.body
                    if location == "path":
                        path[where] = value
                    elif location == "query":
                        query[where] = value
                    else:
                        body = replaced(body, where, value)
                    out.append((f"{location} {where}", case.operation.Case(
                        method=case.method, path_parameters=path, query=query,
                        headers=dict(case.headers or {}), cookies=dict(case.cookies or {}),
                        body=body, media_type=case.media_type)))
            return out or [("nothing swapped", case)]

        return cases.map(swapped)

    def _run(self, label: str, name: str,
             strategy: st.SearchStrategy[Case] | st.SearchStrategy[list[tuple[str, Case]]],
             examples: int) -> None:
        # No shrinking: it can take minutes against a live app, and the failing request is
        # reported as sent (edge-value runs change one value only, which says it all).
        @settings(max_examples=examples, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.reuse, Phase.generate],
                  suppress_health_check=list(HealthCheck), print_blob=True)
        @given(drawn=strategy)
        def exchange(drawn: Case | list[tuple[str, Case]]) -> None:
            if not isinstance(drawn, list):
                self._exchange(label, drawn)
                return
            # Edge values: every swap is sent, and each place that fails is reported once.
            failed: dict[tuple[str, str], str] = {}
            for where, case in drawn:
                try:
                    self._exchange(label, case)
                except (AssertionError, BaseExceptionGroup) as exc:
                    failed.setdefault((where, type(exc).__name__), f"({where}) {exc}")
            if failed:
                raise AssertionError("\n".join(failed.values()))

        start, before = time.monotonic(), len(self.exchanges)
        try:
            exchange()
        except Unsatisfiable:  # e.g. a lone string path parameter: no invalid value exists
            self.skipped.append(f"{label} [{name}]")
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a Base one
            self.errors.append(f"{label} [{name}]: {type(exc).__name__}: {exc}")
        finally:
            self.timings.append((time.monotonic() - start, f"{label} [{name}]",
                                 len(self.exchanges) - before))

    def _exchange(self, label: str, case: Case) -> None:
        try:
            response = case.call(timeout=REQUEST_TIMEOUT, headers=self._signed(case))
        except Exception as exc:
            raise AppCrashed(f"unhandled {exc!r} (a 500 to the client)\n"
                             f"Reproduce with: {case.as_curl_command()}") from exc
        self.statuses[(label, response.status_code)] += 1
        try:
            body = response.json()
        except ValueError:
            body = response.text
        self.exchanges.append(Exchange(case, response.status_code, body))
        case.validate_response(response, checks=ERROR_CHECKS)
        try:
            case.validate_response(response, checks=DOCUMENTED_CHECKS)
        except BaseExceptionGroup as group:
            for failure in group.exceptions:
                key = (label, getattr(failure, "title", type(failure).__name__), response.status_code)
                self.undocumented.setdefault(key, case.as_curl_command())

    # -- Results -------------------------------------------------------------------------------

    def successes(self, method: str, path: str, status: int | None = None) -> list[Exchange]:
        """The exchanges with one operation that succeeded (2xx, or exactly ``status``)."""
        label = f"{method.upper()} {path}"
        return [e for e in self.exchanges if e.case.operation.label == label
                and (e.status == status if status else 200 <= e.status < 300)]

    def summary(self) -> str:
        lines = [f"{len(self.exchanges)} requests in {time.monotonic() - self.started:.1f}s"]
        lines += [f"  {label}: {status} x{count}"
                  for (label, status), count in sorted(self.statuses.items())]
        lines += [f"  nothing to generate: {s}" for s in self.skipped]
        lines += ["slowest runs:"] + [f"  {seconds:.1f}s {run} ({n} requests)"
                                     for seconds, run, n in sorted(self.timings, reverse=True)[:5]]
        return "\n".join(lines)

    def report(self, invariant_errors: Iterable[str] = ()) -> str:
        """Everything that failed, or "" if nothing did."""
        parts = []
        if self.errors:
            parts.append("SERVER ERRORS / SCHEMA VIOLATIONS:\n" + "\n\n".join(self.errors))
        if self.undocumented:
            parts.append("RESPONSES THE OPENAPI DOCUMENT DOES NOT DESCRIBE:\n" + "\n".join(
                f"- {label}: {title} (status {status}); e.g. {curl[:500]}"
                for (label, title, status), curl in sorted(self.undocumented.items())))
        invariant_errors = list(invariant_errors)
        if invariant_errors:
            parts.append("HALF-WRITTEN STATE:\n" + "\n".join(f"- {e}" for e in invariant_errors))
        return "\n\n".join(parts)


def cases(operation: Any, build: Callable[..., dict[str, Any]], **strategies: st.SearchStrategy[Any]
          ) -> st.SearchStrategy[Case]:
    """Hand-shaped requests to ``operation``: ``build(**drawn)`` gives ``Case`` arguments."""
    return st.builds(lambda **drawn: operation.Case(**build(**drawn)), **strategies)


def _string_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [prefix]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _string_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _string_paths(v, (*prefix, i))]
    return []


