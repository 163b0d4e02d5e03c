"""Where the pack's files live, shared by the pack tests."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO_ROOT / "grafana" / "dashboards"
RULES_DIR = REPO_ROOT / "prometheus"

# Dashboard file -> its fixed uid (links and bookmarks rely on it).
DASHBOARDS = {
    "provider-health.json": "provider-health",
    "exporter-health.json": "provider-health-exporter",
}


def load_dashboard(filename: str) -> dict:
    return json.loads((DASHBOARD_DIR / filename).read_text())


@functools.lru_cache(maxsize=None)
def _load_yaml_cached(path: str, mtime: float):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path) as f:
        return yaml.load(f, Loader=loader)


def load_yaml(rel_or_path) -> object:
    """Parse a YAML file of the repo (cached; callers must not mutate the result)."""
    path = Path(rel_or_path)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return _load_yaml_cached(str(path), path.stat().st_mtime)
