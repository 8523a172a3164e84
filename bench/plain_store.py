"""The session store written with the standard library only: what a script author would write
instead of using liboutrig. The baseline for the Python face in `make bench`.

It reads and writes outrig's layout with the same durability (temp file, fsync, rename, fsync
of the directory and the root) and returns parsed records with timezone-aware datetimes, but it
has none of the library's checks (ids, symlinks, hostile files, unknown-field order).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import tempfile
from datetime import datetime, timezone
from typing import Any

RECORD = "session.json"


def _parse(raw: bytes) -> dict[str, Any]:
    rec: dict[str, Any] = json.loads(raw)
    rec["started_at"] = datetime.fromisoformat(rec["started_at"])
    if rec.get("ended_at") is not None:
        rec["ended_at"] = datetime.fromisoformat(rec["ended_at"])
    return rec


def _stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(dir_: str, rec: dict[str, Any]) -> None:
    out = dict(rec)
    out["started_at"] = _stamp(rec["started_at"])
    if rec.get("ended_at") is not None:
        out["ended_at"] = _stamp(rec["ended_at"])
    data = json.dumps(out, indent=2, ensure_ascii=False).encode()
    fd, tmp = tempfile.mkstemp(prefix=".session.json.", dir=dir_)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, os.path.join(dir_, RECORD))
    _fsync_dir(dir_)


class PlainStore:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def list(self) -> list[dict[str, Any]]:
        out = []
        try:
            entries = os.scandir(self.root)
        except FileNotFoundError:
            return out
        with entries:
            for e in entries:
                if e.name.startswith(".") or not (e.is_dir(follow_symlinks=False) or e.is_symlink()):
                    continue
                try:
                    with open(os.path.join(e.path, RECORD), "rb") as f:
                        rec = _parse(f.read())
                    if e.is_symlink():
                        rec["link_target"] = os.readlink(e.path)
                    out.append(rec)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except (ValueError, KeyError, OSError):
                    continue
        out.sort(key=lambda r: r["id"], reverse=True)
        return out

    def get(self, sid: str) -> dict[str, Any]:
        with open(os.path.join(self.root, sid, RECORD), "rb") as f:
            return _parse(f.read())

    def create(self, container_name: str, image_tag: str, working_dir: str) -> dict[str, Any]:
        os.makedirs(self.root, exist_ok=True)
        while True:
            now = datetime.now(timezone.utc)
            sid = now.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)
            dir_ = os.path.join(self.root, sid)
            try:
                os.mkdir(dir_)
                break
            except FileExistsError:
                continue
        rec = {
            "id": sid,
            "started_at": now,
            "container_name": container_name,
            "image_tag": image_tag,
            "working_dir": working_dir,
            "session_dir": dir_,
        }
        _write(dir_, rec)
        _fsync_dir(self.root)
        return rec

    def finalize(self, sid: str, exit_code: int) -> dict[str, Any]:
        dir_ = os.path.realpath(os.path.join(self.root, sid))
        fd = os.open(dir_, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with open(os.path.join(dir_, RECORD), "rb") as f:
                rec = _parse(f.read())
            rec.pop("ended_at", None)
            rec.pop("exit_code", None)
            rec["ended_at"] = datetime.now(timezone.utc)
            rec["exit_code"] = exit_code
            _write(dir_, rec)
            return rec
        finally:
            os.close(fd)

    def remove_by_path(self, dir_: str) -> None:
        rec = self.get_by_path(dir_)
        for name in ("outrig-enter",):
            try:
                os.unlink(os.path.join(dir_, name))
            except FileNotFoundError:
                pass
        logs = os.path.join(dir_, "logs")
        if os.path.isdir(logs) and not os.path.islink(logs):
            shutil.rmtree(logs)
        os.unlink(os.path.join(dir_, RECORD))
        try:
            os.rmdir(dir_)
        except OSError:
            pass
        link = os.path.join(self.root, rec["id"])
        if os.path.islink(link):
            os.unlink(link)

    def remove(self, sid: str) -> None:
        self.remove_by_path(os.path.realpath(os.path.join(self.root, sid)))

    def get_by_path(self, dir_: str) -> dict[str, Any]:
        with open(os.path.join(dir_, RECORD), "rb") as f:
            return _parse(f.read())
