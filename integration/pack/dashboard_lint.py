"""Lint Grafana dashboards against the grafana/dashboard-linter conventions.

Checked for every dashboard:
- a fixed uid (when the caller names the expected one);
- a `datasource` variable (type datasource, query prometheus) and `job` / `instance`
  query variables that use it, are multi-select and have allValue `.+`;
- every panel and every target uses the `datasource` variable;
- every PromQL selector has a `job` matcher using `$job` and an `instance` matcher using `$instance`;
- every rate / irate / increase uses `[$__rate_interval]`;
- counters (`*_total`) are only read through rate / irate / increase;
- no query needs a recording rule (a metric name with a colon) unless the panel description names the rule;
- every `time() - x` guards x with `> 0`, so a timestamp that is still 0 does not show as 55 years;
- a latency histogram with `source` and `operation` labels is never aggregated over a mix of them: each is
  either fixed by an equality matcher or kept in the `by (...)` of the aggregation;
- every panel has a title and a description, every non-row panel a valid unit and a target;
- panel ids are unique, refIds are unique within a panel, panels do not overlap.

Usage: python3 integration/pack/dashboard_lint.py grafana/dashboards/*.json
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Iterator

# Units the linter accepts (a subset of Grafana's value formats that this pack uses or may use).
VALID_UNITS = {
    "none", "string", "short", "percent", "percentunit", "bytes", "decbytes", "bits", "s", "ms", "µs", "ns",
    "m", "h", "d", "dtdurations", "dtdurationms", "ops", "reqps", "rps", "wps", "iops", "cps", "opm", "rpm",
    "bool", "bool_yes_no", "bool_on_off", "dateTimeAsIso", "dateTimeFromNow", "Bps", "binBps", "hertz",
}
RATE_FUNCTIONS = {"rate", "irate", "increase"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "atan2", "inf", "nan"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
               "quantile", "limitk", "limit_ratio"}
# The contract names this gauge (models configured) with a _total suffix; it is not a counter.
GAUGES_NAMED_TOTAL: set[str] = set()
DATASOURCE_REFS = {"$datasource", "${datasource}"}
# Histograms whose series must not be mixed across these labels in one quantile.
SPLIT_HISTOGRAMS = {
    "provider_response_time_seconds_bucket": ("source", "operation"),
    "model_response_time_seconds_bucket": ("source", "operation"),
    "provider_time_to_first_token_seconds_bucket": ("source", "operation"),
    "model_time_to_first_token_seconds_bucket": ("source", "operation"),
}


# --------------------------------------------------------------------------- PromQL scanning

@dataclass
class Token:
    kind: str  # ident, string, number, var, punct, op
    text: str


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<var>\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z0-9_:]+\]\])
  | (?P<number>(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)(?:[smhdwy]|ms)*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=])
  | (?P<punct>[{}()\[\],:@])
    """,
    re.VERBOSE,
)


def tokenize(expr: str) -> list[Token]:
    """Split a PromQL expression (possibly holding Grafana variables) into tokens."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN_RE.match(expr, pos)
        if not m:
            raise ValueError(f"cannot tokenize PromQL at {expr[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        tokens.append(Token(kind, m.group()))
    return tokens


@dataclass
class Selector:
    metric: str
    matchers: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (op, value)
    functions: tuple[str, ...] = ()  # enclosing function calls, outermost first
    # Grouping of the innermost enclosing aggregation: ("by" | "without", labels), or None without one.
    grouping: tuple[str, frozenset[str]] | None = None

    def keeps(self, label: str) -> bool:
        """Whether the innermost aggregation around this selector keeps `label` apart."""
        if self.grouping is None:
            return True
        kind, labels = self.grouping
        return (label in labels) if kind == "by" else (label not in labels)


@dataclass
class RangeUse:
    function: str | None  # nearest enclosing function
    duration: str


def _unquote(s: str) -> str:
    return s[1:-1]


def scan(expr: str) -> tuple[list[Selector], list[RangeUse]]:
    """Find every series selector and every range duration in an expression."""
    toks = tokenize(expr)
    selectors: list[Selector] = []
    ranges: list[RangeUse] = []
    # One entry per open paren: (function name or None, grouping of an aggregation or None).
    stack: list[tuple[str | None, tuple[str, frozenset[str]] | None]] = []
    pending: str | None = None  # aggregator whose "by (...)" clause comes before its "("
    pending_grouping: tuple[str, frozenset[str]] | None = None
    i = 0

    def parse_matchers(j: int) -> tuple[dict[str, tuple[str, str]], int]:
        matchers: dict[str, tuple[str, str]] = {}
        assert toks[j].text == "{"
        j += 1
        while toks[j].text != "}":
            if toks[j].text == ",":
                j += 1
                continue
            name, op, value = toks[j], toks[j + 1], toks[j + 2]
            if name.kind not in ("ident", "string") or op.kind != "op" or value.kind != "string":
                raise ValueError(f"bad label matcher near {name.text!r} in {expr!r}")
            matchers[name.text if name.kind == "ident" else _unquote(name.text)] = (op.text, _unquote(value.text))
            j += 3
        return matchers, j + 1

    def functions() -> tuple[str, ...]:
        return tuple(f for f, _ in stack if f)

    def grouping() -> tuple[str, frozenset[str]] | None:
        for f, g in reversed(stack):
            if f in AGGREGATORS:
                return g if g is not None else ("by", frozenset())
        return None

    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.kind == "ident" and t.text in AGGREGATORS and nxt is not None and nxt.text.lower() in ("by", "without"):
            pending = t.text
            i += 1
            continue
        if t.kind == "ident" and t.text.lower() in LABEL_LIST_KEYWORDS:
            keyword = t.text.lower()
            i += 1
            labels = []
            if i < len(toks) and toks[i].text == "(":
                while toks[i].text != ")":
                    if toks[i].kind == "ident":
                        labels.append(toks[i].text)
                    i += 1
                i += 1
            if pending is not None and keyword in ("by", "without"):
                pending_grouping = (keyword, frozenset(labels))
            continue
        if t.kind == "ident" and t.text.lower() == "offset":
            i += 2
            continue
        if t.kind == "ident" and t.text.lower() in KEYWORDS:
            i += 1
            continue
        if t.kind == "ident" and nxt is not None and nxt.text == "(":
            stack.append((t.text, None))
            i += 2
            continue
        if t.kind == "ident":
            if nxt is not None and nxt.text == "{":
                matchers, i = parse_matchers(i + 1)
            else:
                matchers, i = {}, i + 1
            selectors.append(Selector(t.text, matchers, functions(), grouping()))
            continue
        if t.text == "{":
            matchers, i = parse_matchers(i)
            name = matchers.pop("__name__", ("=", ""))[1]
            selectors.append(Selector(name, matchers, functions(), grouping()))
            continue
        if t.text == "(":
            stack.append((pending, pending_grouping))
            pending = None
            pending_grouping = None
        elif t.text == ")":
            if stack:
                stack.pop()
        elif t.text == "[":
            j = i + 1
            parts = []
            while toks[j].text != "]":
                parts.append(toks[j].text)
                j += 1
            inner = functions()
            ranges.append(RangeUse(inner[-1] if inner else None, "".join(parts)))
            i = j
        i += 1
    return selectors, ranges


# --------------------------------------------------------------------------- dashboard walking

def iter_panels(dashboard: dict) -> Iterator[dict]:
    """Every panel, including those nested in collapsed rows."""
    for p in dashboard.get("panels", []):
        yield p
        for sub in p.get("panels", []) or []:
            yield sub


def iter_targets(dashboard: dict) -> Iterator[tuple[dict, dict]]:
    for p in iter_panels(dashboard):
        for t in p.get("targets", []) or []:
            yield p, t


def _ds_ref(ds) -> str | None:
    if isinstance(ds, dict):
        return ds.get("uid")
    return ds


def _label_values_query(query) -> str:
    if isinstance(query, dict):
        return query.get("query", "")
    return query or ""


_LABEL_VALUES_RE = re.compile(r"^\s*label_values\(\s*(?:(?P<sel>.+),\s*)?(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$",
                              re.DOTALL)


def lint(dashboard: dict, expected_uid: str | None = None) -> list[str]:
    """Return every convention the dashboard breaks (empty when it is clean)."""
    problems: list[str] = []
    title = dashboard.get("title", "?")

    def bad(msg: str) -> None:
        problems.append(f"{title}: {msg}")

    if expected_uid is not None and dashboard.get("uid") != expected_uid:
        bad(f"uid is {dashboard.get('uid')!r}, expected the fixed uid {expected_uid!r}")
    if not dashboard.get("uid"):
        bad("has no uid")

    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if ds is None or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        bad("needs a 'datasource' variable of type datasource with query 'prometheus'")
    elif ds.get("label") != "Data source":
        bad("the datasource variable should be labelled 'Data source'")
    for name in ("job", "instance"):
        v = variables.get(name)
        if v is None:
            bad(f"is missing the {name} variable")
            continue
        if v.get("label") != name.title():
            bad(f"{name} variable should be labelled {name.title()!r}")
        if not v.get("multi"):
            bad(f"{name} variable should be multi-select")
        if v.get("allValue") != ".+":
            bad(f"{name} variable should have allValue '.+'")
    for name, v in variables.items():
        if v.get("type") != "query":
            continue
        if _ds_ref(v.get("datasource")) not in DATASOURCE_REFS:
            bad(f"variable {name} does not use the datasource variable")
        q = _label_values_query(v.get("query"))
        m = _LABEL_VALUES_RE.match(q)
        if not m:
            bad(f"variable {name} query {q!r} is not label_values(selector, label)")
        elif m.group("sel"):
            try:
                scan(m.group("sel"))
            except (ValueError, IndexError) as e:
                bad(f"variable {name} selector does not parse: {e}")

    seen_ids: dict[int, str] = {}
    rects = []
    for p in iter_panels(dashboard):
        ptitle = p.get("title") or f"panel {p.get('id')}"
        pid = p.get("id")
        if pid is None:
            bad(f"panel {ptitle!r} has no id")
        elif pid in seen_ids:
            bad(f"panel id {pid} is used by {seen_ids[pid]!r} and {ptitle!r}")
        else:
            seen_ids[pid] = ptitle
        if not p.get("title"):
            bad(f"panel {pid} has no title")
        if not (p.get("description") or "").strip():
            bad(f"panel {ptitle!r} has no description")
        if _ds_ref(p.get("datasource")) not in DATASOURCE_REFS:
            bad(f"panel {ptitle!r} does not use the datasource variable")
        g = p.get("gridPos") or {}
        rects.append((ptitle, g.get("x", 0), g.get("y", 0), g.get("w", 0), g.get("h", 0)))
        if p.get("type") == "row":
            continue
        unit = ((p.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
        if unit not in VALID_UNITS:
            bad(f"panel {ptitle!r} has no valid unit ({unit!r})")
        targets = p.get("targets") or []
        if not targets:
            bad(f"panel {ptitle!r} has no targets")
        refids = [t.get("refId") for t in targets]
        if len(set(refids)) != len(refids):
            bad(f"panel {ptitle!r} repeats a refId: {refids}")
        for t in targets:
            where = f"panel {ptitle!r} target {t.get('refId')}"
            if _ds_ref(t.get("datasource")) not in DATASOURCE_REFS:
                bad(f"{where} does not use the datasource variable")
            expr = t.get("expr") or ""
            if not expr.strip():
                bad(f"{where} has no expr")
                continue
            problems.extend(f"{title}: {where}: {msg}" for msg in lint_expr(expr, p.get("description") or ""))

    for i, (ta, xa, ya, wa, ha) in enumerate(rects):
        for tb, xb, yb, wb, hb in rects[i + 1:]:
            if xa < xb + wb and xb < xa + wa and ya < yb + hb and yb < ya + ha:
                bad(f"panels {ta!r} and {tb!r} overlap")
    return problems


def _operand_end(toks: list[Token], j: int) -> int:
    """Index just past the operand of a binary operator that starts at toks[j]."""
    def matching(k: int) -> int:  # toks[k] opens a bracket; index past its match
        opening = toks[k].text
        closing = {"(": ")", "{": "}", "[": "]"}[opening]
        depth = 0
        while k < len(toks):
            if toks[k].text == opening:
                depth += 1
            elif toks[k].text == closing:
                depth -= 1
                if depth == 0:
                    return k + 1
            k += 1
        raise ValueError("unbalanced brackets")

    t = toks[j]
    if t.text == "(":
        return matching(j)
    if t.kind == "ident" and t.text in AGGREGATORS and j + 1 < len(toks) and toks[j + 1].text.lower() in ("by", "without"):
        k = matching(j + 2)
        return matching(k)
    if t.kind == "ident" and j + 1 < len(toks) and toks[j + 1].text == "(":
        k = matching(j + 1)
        # sum(...) by (...) puts the grouping after the call
        if k < len(toks) and toks[k].text.lower() in ("by", "without"):
            k = matching(k + 1)
        return k
    if t.kind == "ident" or t.text == "{":
        k = j + 1 if t.kind == "ident" else j
        if k < len(toks) and toks[k].text == "{":
            k = matching(k)
        if k < len(toks) and toks[k].text == "[":
            k = matching(k)
        return k
    return j + 1


def unguarded_time_differences(expr: str) -> list[str]:
    """The operands x of every `time() - x` in which x is not filtered by `> 0`."""
    toks = tokenize(expr)
    found = []
    for i in range(len(toks) - 3):
        if [x.text for x in toks[i:i + 4]] == ["time", "(", ")", "-"] and i + 4 < len(toks):
            end = _operand_end(toks, i + 4)
            operand = toks[i + 4:end]
            guarded = any(a.text == ">" and b.kind == "number" and float(b.text) == 0
                          for a, b in zip(operand, operand[1:]))
            if not guarded:
                found.append(" ".join(x.text for x in operand))
    return found


def lint_expr(expr: str, description: str = "") -> list[str]:
    """Conventions for one PromQL expression of a dashboard target (`description`: its panel's)."""
    try:
        selectors, ranges = scan(expr)
        unguarded = unguarded_time_differences(expr)
    except (ValueError, IndexError) as e:
        return [f"does not parse: {e}"]
    msgs: list[str] = []
    for operand in unguarded:
        msgs.append(f"time() - {operand} has no > 0 guard on the timestamp (0 would show as 55 years)")
    for s in selectors:
        if ":" in s.metric and s.metric not in description:
            msgs.append(f"uses the recording rule {s.metric} but the panel description does not name it")
        for label in SPLIT_HISTOGRAMS.get(s.metric, ()):
            pinned = s.matchers.get(label, ("", ""))[0] == "="
            if not pinned and not s.keeps(label):
                msgs.append(f"{s.metric} is aggregated over a mix of {label} values (pin it or keep it in by)")
        for label, var in (("job", "$job"), ("instance", "$instance")):
            op_value = s.matchers.get(label)
            if op_value is None or var not in op_value[1]:
                msgs.append(f"selector {s.metric or '{...}'} has no {label} matcher using {var}")
        if s.metric.endswith("_total") and s.metric not in GAUGES_NAMED_TOTAL and not RATE_FUNCTIONS.intersection(s.functions):
            msgs.append(f"counter {s.metric} is not read through rate/irate/increase")
    for r in ranges:
        if r.function in RATE_FUNCTIONS and r.duration != "$__rate_interval":
            msgs.append(f"{r.function}() uses [{r.duration}] instead of [$__rate_interval]")
    return msgs


def main(paths: list[str]) -> int:
    failed = False
    for path in paths:
        with open(path) as f:
            problems = lint(json.load(f))
        for p in problems:
            print(f"{path}: {p}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
