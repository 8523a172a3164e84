#!/usr/bin/env python3
"""The power-cut harness tested by mutation (`make mutants`).

Each mutant below removes or breaks one durability step of the core: a sync, the order of
rename and sync, the temporary file and rename, an error of a sync. For each, a scratch copy
of the sources (under target/mutants/, never the working tree) gets exactly that edit, the
power-cut test is built from it and run on the narrowest scenario that covers the step
(OUTRIG_POWERCUT_ONLY), and it must fail: the harness caught the mutant. Equivalent mutants
(ones no power cut or failing sync can tell from the original) are listed with the reason and
not run. The target fails when a mutant survives, when its edit no longer matches the source
(the core changed: update the table), or when the unmutated copy does not pass.

    mutants.py            run every mutant, print the table RELIABILITY.md quotes
    mutants.py --check    only check that every edit still applies (fast; part of make test)
    mutants.py ID...      run only these mutants (and the unmutated control)
"""

import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRATCH = os.path.join(REPO, "target", "mutants")
TREE = os.path.join(SCRATCH, "tree")
RUN_TIMEOUT = 600

RECORD = "src/fsio/record_io.rs"
CREATE = "src/store/create.rs"
REMOVE = "src/store/remove.rs"
LOGS = "src/store/logs.rs"

FINALIZE = "=finalize (auto)"
CREATE_AUTO = "=create (auto)"
CREATE_EXPLICIT = "=create (explicit, empty directory)"
CREATE_ROOT = "=create (auto) that makes the root"
CREATE_DIR = "=create (explicit) that makes the directory"
REMOVE_AUTO = "=remove (auto, with logs and launcher script)"
REMOVE_EXPLICIT = "=remove (explicit, with logs and launcher script)"
REMOVE_KEPT = "=remove (auto) of a directory holding a user's file"
REMOVE_BY_PATH_AUTO = "=remove_by_path (auto, with logs and launcher script)"
REMOVE_FOREIGN = (
    "=remove (explicit) of a link to a directory holding a stranded temporary record"
)
LOG_APPEND = "=first log line (append_log, write, fsync the file)"
LOG_PATH = "=first log line (log_path, create, fsync file and logs/)"

# (id, what the mutant does, file, [(exact text, replacement)], scenario, equivalent because)
MUTANTS = [
    # The record write: temporary file, write, fsync, rename, fsync of the directory.
    ("W1", "record write: no fsync of the temporary file", RECORD,
     [(".write_all(&bytes)\n        .and_then(|()| file.sync_all())\n",
       ".write_all(&bytes)\n")], FINALIZE, None),
    ("W2", "record write: rename before the temporary file's fsync", RECORD,
     [(".write_all(&bytes)\n        .and_then(|()| file.sync_all())\n",
       ".write_all(&bytes)\n"),
      ("                .map_err(|e| Error::io(\"replacing\", &dir_path.join(RECORD_FILE), e.into()))\n        });\n",
       "                .map_err(|e| Error::io(\"replacing\", &dir_path.join(RECORD_FILE), e.into()))\n        })\n"
       "        .and_then(|()| file.sync_all().map_err(|e| Error::io(\"writing\", dir_path, e)));\n")],
     FINALIZE, None),
    ("W3", "record write: no fsync of the directory after the rename", RECORD,
     [("        return Err(e);\n    }\n    sync(dir, dir_path)\n}",
       "        return Err(e);\n    }\n    Ok(())\n}")], FINALIZE, None),
    ("W4", "record write: in place (truncate and write session.json), no temporary file", RECORD,
     [("    let (name, mut file) = create_temp(dir, dir_path)?;\n",
       "    let (name, mut file) = (\n        CString::new(RECORD_FILE).expect(\"no NUL\"),\n"
       "        File::from(\n            rfs::openat(\n                dir,\n                RECORD_FILE,\n"
       "                OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,\n"
       "                Mode::from_raw_mode(0o600),\n            )\n"
       "            .map_err(|e| Error::io(\"opening\", dir_path, e.into()))?,\n        ),\n    );\n")],
     FINALIZE, None),
    ("W5", "record write: an error of the temporary file's fsync ignored", RECORD,
     [(".and_then(|()| file.sync_all())\n",
       ".and_then(|()| {\n            let _ = file.sync_all();\n            Ok(())\n        })\n")],
     FINALIZE, None),
    ("W6", "every directory sync: its error ignored", RECORD,
     [("    rfs::fsync(dir).map_err(|e| Error::io(\"syncing directory\", dir_path, e.into()))\n",
       "    let _ = (rfs::fsync(dir), dir_path);\n    Ok(())\n")], FINALIZE, None),
    ("W7", "temporary record: O_EXCL dropped", RECORD,
     [("OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW",
       "OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW")], None,
     "names carry 64 random bits and a cut never makes one: O_EXCL guards against another "
     "process's file of that name, not against power loss"),
    ("W8", "record write: sync_all of the temporary file becomes sync_data", RECORD,
     [(".and_then(|()| file.sync_all())\n", ".and_then(|()| file.sync_data())\n")], None,
     "the file's size is set by the same write, and fdatasync flushes the size needed to read "
     "the data back; lossyfs (like the kernel for this case) treats both alike"),
    # create: the root's entry, the parents of what it made.
    ("C1", "create (auto): no fsync of the root after the record", CREATE,
     [("        record_io::write_at(dir.as_fd(), &entry, &session)?;\n"
       "        let (root, _, _) = undo.entry.as_ref().expect(\"claimed above\");\n"
       "        record_io::sync(root, &self.root)?;\n",
       "        record_io::write_at(dir.as_fd(), &entry, &session)?;\n")], CREATE_AUTO, None),
    ("C2", "create (explicit): no fsync of the root after the record", CREATE,
     [("        record_io::write_at(fd.as_fd(), &dir, &session)?;\n"
       "        let (root, _, _) = undo.entry.as_ref().expect(\"claimed above\");\n"
       "        record_io::sync(root, &self.root)?;\n",
       "        record_io::write_at(fd.as_fd(), &dir, &session)?;\n")], CREATE_EXPLICIT, None),
    ("C3", "create: the root it made is not synced into its parent", CREATE,
     [("        // A root this create made must survive a power cut with the session in it.\n"
       "        sync_parents(&missing)?;\n", "")], CREATE_ROOT, None),
    ("C4", "create (explicit): the directory it made is not synced into its parent", CREATE,
     [("    fs::create_dir_all(dir).map_err(|e| Error::io(\"creating session directory\", dir, e))?;\n"
       "    sync_parents(&missing)?;\n",
       "    fs::create_dir_all(dir).map_err(|e| Error::io(\"creating session directory\", dir, e))?;\n")],
     CREATE_DIR, None),
    ("C5", "create (auto): an error of the root's fsync ignored", CREATE,
     [("        record_io::write_at(dir.as_fd(), &entry, &session)?;\n"
       "        let (root, _, _) = undo.entry.as_ref().expect(\"claimed above\");\n"
       "        record_io::sync(root, &self.root)?;\n",
       "        record_io::write_at(dir.as_fd(), &entry, &session)?;\n"
       "        let (root, _, _) = undo.entry.as_ref().expect(\"claimed above\");\n"
       "        let _ = record_io::sync(root, &self.root);\n")], CREATE_AUTO, None),
    # remove: the session directory, its parent, the root.
    ("R1", "remove (auto): no fsync of the root after the rmdir", REMOVE,
     [("            locked.end_lease();\n"
       "            record_io::sync(&root, &self.root)?;\n"
       "            return Ok(removal);\n",
       "            locked.end_lease();\n"
       "            return Ok(removal);\n")],
     REMOVE_AUTO, None),
    ("R2", "remove (explicit): no fsync of the root after unlinking the link", REMOVE,
     [("            }\n        }\n        record_io::sync(root, &self.root)\n    }",
       "            }\n        }\n        let _ = root;\n        Ok(())\n    }")], REMOVE_EXPLICIT, None),
    ("R3", "remove: no fsync of the session directory after unlinking its names", REMOVE,
     [("            clear_store_names(fd, &dir.path)?;\n            record_io::sync(fd, &dir.path)?;\n",
       "            clear_store_names(fd, &dir.path)?;\n")], REMOVE_KEPT, None),
    ("R4", "remove: no fsync of an explicit directory's parent after its rmdir", REMOVE,
     [("            if root.is_none() {\n"
       "                record_io::sync(parent, dir.path.parent().unwrap_or(&dir.path))?;\n"
       "            }\n", "")], REMOVE_EXPLICIT, None),
    ("R5", "remove of a foreign directory: no fsync after deleting stranded temporary records",
     REMOVE,
     [("                        unlink(dir.fd(), temp.as_bytes(), &dir.path)?;\n"
       "                    }\n"
       "                    record_io::sync(dir.fd(), &dir.path)?;\n",
       "                        unlink(dir.fd(), temp.as_bytes(), &dir.path)?;\n"
       "                    }\n")],
     REMOVE_FOREIGN, None),
    ("R6", "remove_by_path (auto): no fsync of the root after the rmdir", REMOVE,
     [("            Some(root) if in_root.is_some() => record_io::sync(root, &self.root)?,\n",
       "            Some(_) if in_root.is_some() => {}\n")], REMOVE_BY_PATH_AUTO, None),
    ("R7", "remove (auto): an error of the root's fsync ignored", REMOVE,
     [("            locked.end_lease();\n"
       "            record_io::sync(&root, &self.root)?;\n",
       "            locked.end_lease();\n"
       "            let _ = record_io::sync(&root, &self.root);\n")], REMOVE_AUTO, None),
    ("R8", "remove (explicit): an error of the root's fsync after unlinking the link ignored",
     REMOVE,
     [("            }\n        }\n        record_io::sync(root, &self.root)\n    }",
       "            }\n        }\n        let _ = record_io::sync(root, &self.root);\n        Ok(())\n    }")],
     REMOVE_EXPLICIT, None),
    ("R9", "remove: the record unlinked first, not last", REMOVE,
     [("fn clear_store_names(fd: BorrowedFd<'_>, path: &Path) -> Result<()> {\n",
       "fn clear_store_names(fd: BorrowedFd<'_>, path: &Path) -> Result<()> {\n"
       "    unlink(fd, RECORD_FILE.as_bytes(), path)?;\n")], REMOVE_EXPLICIT, None),
    # logs: the directories and the file's entry append_log and log_path make.
    ("L1", "append_log: the new file's entry in logs/ not synced", LOGS,
     [("        if created {\n            sync_dir(&dir.fd, &dir.path)?;\n        }\n", "")],
     LOG_APPEND, None),
    ("L2", "append_log: the directories it made not synced into their parents", LOGS,
     [("        sync_made(&dir.made, &session.path)?;\n        Ok(file)\n", "        Ok(file)\n")],
     LOG_APPEND, None),
    ("L3", "log_path: the directories it made not synced into their parents", LOGS,
     [("        sync_made(&dir.made, &session.path)?;\n        Ok(file_path)\n",
       "        Ok(file_path)\n")], LOG_PATH, None),
    ("L4", "append_log: an error of the directories' syncs ignored", LOGS,
     [("        sync_dir(parent, session_path)?;\n",
       "        let _ = sync_dir(parent, session_path);\n")], LOG_APPEND, None),
]


def sources():
    """The files of the working tree that git knows or would add (not ignored ones)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout
    return [p for p in out.decode().split("\0") if p and os.path.isfile(os.path.join(REPO, p))]


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def mutate(text, edits, mid):
    for find, repl in edits:
        n = text.count(find)
        if n != 1:
            raise SystemExit(
                f"mutant {mid}: its edit matches {n} places, not one; the core changed: update "
                f"its text in {os.path.relpath(__file__, REPO)}\n--- looked for ---\n{find}"
            )
        text = text.replace(find, repl)
    return text


def check_only():
    for mid, _, path, edits, _, _ in MUTANTS:
        mutate(read(path), edits, mid)
    ids = [m[0] for m in MUTANTS]
    assert len(set(ids)) == len(ids), "mutant ids are unique"
    print(f"mutants: all {len(MUTANTS)} edits apply to the current sources")


def copy_tree():
    if os.path.exists(TREE):
        shutil.rmtree(TREE)
    for rel in sources():
        dst = os.path.join(TREE, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        # A fresh modification time: cargo must never take a mutant built earlier for this.
        shutil.copyfile(os.path.join(REPO, rel), dst)
    shared = os.path.realpath(os.path.join(REPO, "..", "shared"))
    link = os.path.join(SCRATCH, "shared")
    if os.path.isdir(shared) and not os.path.lexists(link):
        os.symlink(shared, link)


def env():
    e = dict(os.environ)
    # Its own target directory: the copy's crates have the working tree's names and versions,
    # and in a shared one a mutant's build could stand in for the working tree's.
    e["CARGO_TARGET_DIR"] = os.path.join(SCRATCH, "target")
    e["OUTRIG_REQUIRE_FUSE"] = "1"
    e.setdefault("OUTRIG_POWERCUT_SEED", "1")
    e.pop("OUTRIG_STRESS", None)
    e.pop("OUTRIG_POWERCUT_CUT", None)
    return e


def build():
    """Builds the scratch copy's power-cut test; returns its executable, or None."""
    r = subprocess.run(
        ["cargo", "test", "-p", "outrig-powercut", "--test", "powercut", "--no-run"],
        cwd=TREE, env=env(), capture_output=True, text=True,
    )
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-4000:])
        return None
    m = re.search(r"Executable .*?\((.*?powercut-[0-9a-f]+)\)", r.stderr)
    if not m:
        raise SystemExit("cargo did not name the power-cut test's executable")
    return os.path.join(TREE, m.group(1))


def run(exe, scenario):
    """Runs the scenario; returns (passed, seconds, the last lines of its output)."""
    e = env()
    e["OUTRIG_POWERCUT_ONLY"] = scenario
    started = time.monotonic()
    try:
        r = subprocess.run([exe], cwd=TREE, env=e, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT)
        passed, out = r.returncode == 0, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        passed, out = False, f"timed out after {RUN_TIMEOUT} s"
    return passed, time.monotonic() - started, out


def first_violation(out):
    for line in out.splitlines():
        m = re.match(r"\s+\[([a-z ]+)\]", line)
        if m:
            return m.group(1)
        if "the operation fails even with the power on" in line:
            return "fails with the power on"
    return "test failed"


def main(argv):
    if argv[:1] == ["--check"]:
        check_only()
        return 0
    chosen = [m for m in MUTANTS if not argv or m[0] in argv]
    if argv and len(chosen) != len(argv):
        raise SystemExit(f"unknown mutant among {argv}; known: {[m[0] for m in MUTANTS]}")
    check_only()
    copy_tree()
    scenarios = sorted({m[4] for m in chosen if m[5] is None})
    started = time.monotonic()
    exe = build()
    if exe is None:
        raise SystemExit("the unmutated copy does not build")
    for sc in scenarios:
        passed, secs, out = run(exe, sc)
        if not passed:
            sys.stderr.write(out[-4000:])
            raise SystemExit(f"control: the unmutated store fails scenario {sc!r}")
        print(f"control | {sc[1:]}: passes unmutated ({secs:.1f} s)", flush=True)
    rows, survived = [], []
    for mid, what, path, edits, scenario, equivalent in chosen:
        if equivalent:
            rows.append((mid, what, f"equivalent: {equivalent}", "-"))
            continue
        original = read(path)
        target = os.path.join(TREE, path)
        try:
            with open(target, "w", encoding="utf-8") as f:
                f.write(mutate(original, edits, mid))
            t0 = time.monotonic()
            exe = build()
            build_secs = time.monotonic() - t0
            if exe is None:
                raise SystemExit(f"mutant {mid} does not compile; fix its edit")
            passed, secs, out = run(exe, scenario)
        finally:
            with open(target, "w", encoding="utf-8") as f:
                f.write(original)
        caught = "SURVIVED" if passed else f"caught by {scenario[1:]} ({first_violation(out)})"
        if passed:
            survived.append(mid)
        rows.append((mid, what, caught, f"{secs:.1f} s (build {build_secs:.0f} s)"))
        print(f"mutant {mid} | {what} | {caught} | {secs:.1f} s", flush=True)
    print()
    print("| mutant | | caught by | time |")
    print("| --- | --- | --- | --- |")
    for mid, what, caught, secs in rows:
        print(f"| {mid} | {what} | {caught} | {secs} |")
    print(f"\nmutants: {len(rows)} in {time.monotonic() - started:.0f} s; "
          f"survived: {survived or 'none'}")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
