"""The README's Python script runs as printed (against a scratch root)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import outrig
from conftest import REPO


def test_readme_script_runs(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1]
    script = re.search(r"```python\n(.*?)```", section, re.S)
    assert script is not None, "the Python section has a python block"
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script.group(1)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert 'invalid session id "../etc"' in done.stdout
    store = outrig.SessionStore(tmp_path / "data" / "outrig" / "sessions")
    listing = store.list()
    assert sorted(s.exit_code or 0 for s in listing) == [0, 3], "each child's exit code"
    assert all(s.working_dir == tmp_path for s in listing)
    logs = {f.name: f.size for s in listing for f in store.logs(s.id)}
    assert logs == {"agent.log": len("hello\n"), "notes.log": len("working\n")}
    for s in listing:
        assert s.id in done.stdout
