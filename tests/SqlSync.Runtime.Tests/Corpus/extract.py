#!/usr/bin/env python3
"""Builds sqllogictest.corpus from a checkout of sqllogictest (https://sqlite.org/sqllogictest, mirrored
at github.com/gregrahn/sqllogictest). Usage: extract.py <checkout> > sqllogictest.corpus

Each source file becomes one database; its statements and queries that apply to SQLite are kept in order,
without transaction control, PRAGMA, ATTACH/DETACH and VACUUM (reducers may not run those). Python's sqlite3
runs them once to sort them: those that succeed are grouped into scripts of SCRIPT_SIZE; each one that fails
becomes a script of its own after a write that the failure must roll back. Queries slower than 20 ms are left
out (they change nothing). The test compares the document against Microsoft.Data.Sqlite, not against this run.
"""
import sqlite3
import subprocess
import sys
import time

SCRIPT_SIZE = 30
SOURCES = [  # (path, most records taken from the start of the file)
    ("test/evidence/in1.test", None),
    ("test/evidence/in2.test", None),
    ("test/evidence/slt_lang_aggfunc.test", None),
    ("test/evidence/slt_lang_createtrigger.test", None),
    ("test/evidence/slt_lang_createview.test", None),
    ("test/evidence/slt_lang_dropindex.test", None),
    ("test/evidence/slt_lang_droptable.test", None),
    ("test/evidence/slt_lang_droptrigger.test", None),
    ("test/evidence/slt_lang_dropview.test", None),
    ("test/evidence/slt_lang_reindex.test", None),
    ("test/evidence/slt_lang_replace.test", None),
    ("test/evidence/slt_lang_update.test", None),
    ("test/select1.test", 700),
    ("test/select2.test", 700),
    ("test/select3.test", 900),
    ("test/select4.test", 1200),
    ("test/select5.test", 500),
    ("test/index/delete/10/slt_good_0.test", 600),
    ("test/index/view/10/slt_good_1.test", 900),
    ("test/index/between/10/slt_good_1.test", 500),
    ("test/index/commute/10/slt_good_0.test", 500),
    ("test/index/orderby/10/slt_good_0.test", 400),
    ("test/index/random/10/slt_good_0.test", 400),
]
FORBIDDEN = ("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "ATTACH", "DETACH", "VACUUM")


def records(text):
    """Yields (kind, sql) for the records of a .test file that SQLite runs."""
    lines = text.split("\n")
    i = 0
    skip = False
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if words[0] == "skipif":
            skip = skip or words[1] == "sqlite"
            continue
        if words[0] == "onlyif":
            skip = skip or words[1] != "sqlite"
            continue
        if words[0] == "halt":
            if not skip:
                return
            skip = False
            continue
        if words[0] in ("statement", "query"):
            body = []
            while i < len(lines) and lines[i].strip() and lines[i].strip() != "----":
                body.append(lines[i].rstrip())
                i += 1
            while i < len(lines) and lines[i].strip():  # the expected results
                i += 1
            if not skip:
                yield words[0], "\n".join(body)
        skip = False


def main():
    checkout = sys.argv[1]
    out = sys.stdout
    out.write("# sqllogictest statements for SqlSync's corpus test; see README.md. Public domain.\n")
    probe = 0
    total = 0
    for path, limit in SOURCES:
        text = subprocess.run(["git", "-C", checkout, "show", "HEAD:" + path], capture_output=True, text=True, check=True).stdout
        db = sqlite3.connect(":memory:", isolation_level=None)
        out.write(f"@database {path}\n")
        group = []

        def flush():
            if group:
                out.write("@script\n" + "".join(s + ";\n" for s in group))
                group.clear()

        for n, (kind, sql) in enumerate(records(text)):
            if limit is not None and n >= limit:
                break
            words = sql.upper().split()
            if words[0].rstrip(";") in FORBIDDEN or words[:2] in (["CREATE", "TEMP"], ["CREATE", "TEMPORARY"]):
                continue
            start = time.perf_counter()
            try:
                db.execute(sql).fetchall()
                ok = True
            except sqlite3.Error:
                ok = False
            if kind == "query" and time.perf_counter() - start > 0.02:
                continue
            total += 1
            if ok:
                group.append(sql)
                if len(group) >= SCRIPT_SIZE:
                    flush()
            else:
                flush()
                probe += 1
                out.write(f"@script\nCREATE TABLE corpus_probe_{probe}(x);\nINSERT INTO corpus_probe_{probe} VALUES ({probe});\n{sql};\n")
        flush()
    sys.stderr.write(f"{total} statements\n")


main()
