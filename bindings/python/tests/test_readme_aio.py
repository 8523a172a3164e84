"""The README's asyncio script runs as printed (against a scratch root)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import outrig
from conftest import REPO


def test_readme_asyncio_script_runs(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if "outrig import aio" in b]
    assert len(blocks) == 1, "the Python section has one asyncio example"
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-c", blocks[0]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    store = outrig.SessionStore(tmp_path / "data" / "outrig" / "sessions")
    [s] = store.list()
    assert s.exit_code == 0 and s.working_dir == tmp_path
    assert store.find_log(s.id, "agent.log").read_text() == "hello\n"
    assert done.stdout == f"{s.id} 0 ['agent.log']\n"
