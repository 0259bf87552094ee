"""The feedback log: capped fields, one row per line whatever the text, no interleaving under threads."""
from __future__ import annotations

import json
import threading

import pytest

from ingest.settings import Settings
from stub_assistant import StubAssistant

SEPARATORS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.fixture
def service(tmp_path):
    """A ChatService over the stub assistant."""
    from assistant.ui.app import ChatService

    svc = ChatService(Settings(data_dir=tmp_path / ".carbonqa", corpus_dir=tmp_path / "corpus"),
                      assistant=StubAssistant())
    yield svc
    if getattr(svc, "files", None) is not None:
        svc.files.cleanup()


def _rows(path) -> list[dict]:
    """Rows as a `splitlines()` reader sees them."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_field_is_capped(service):
    from assistant.ui.feedback import FIELD_CAPS

    ans = service.ask("What is a project proponent? " + "q" * 50_000, [])
    ans["answer"] = "a" * 100_000  # not signable any more: cap what the server itself issued instead
    ans = service.signer.sign({k: v for k, v in ans.items() if k != "signature"})
    row = service.feedback(json.dumps(ans), "down", "c" * 100_000)
    for name in ("question", "answer", "comment"):
        assert len(row[name]) <= FIELD_CAPS[name], name
    assert len(service.feedback_path.read_text(encoding="utf-8")) < 20_000


def test_line_separators_never_split_a_row(service):
    ans = service.ask(f"Is a{SEPARATORS}b a separator?", [])
    comment = f"x{SEPARATORS}y"
    service.feedback(json.dumps(ans), "up", comment)
    service.feedback(json.dumps(ans), "down", "second")
    rows = _rows(service.feedback_path)
    assert len(rows) == 2
    assert rows[0]["comment"] == comment and rows[1]["comment"] == "second"


def test_jsonl_helper_escapes_every_line_separator(tmp_path):
    from ingest.jsonl import append_jsonl, dumps_line, write_jsonl

    line = dumps_line({"t": SEPARATORS, "u": "नियम 規則"})
    assert len(line.splitlines()) == 1 and json.loads(line)["t"] == SEPARATORS
    assert "नियम 規則" in line, "readable text stays unescaped"
    write_jsonl(tmp_path / "a.jsonl", [{"t": SEPARATORS}] * 3)
    append_jsonl(tmp_path / "a.jsonl", {"t": "last"})
    assert [json.loads(x)["t"] for x in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()] \
        == [SEPARATORS] * 3 + ["last"]


def test_concurrent_feedback_rows_stay_whole(service):
    ans = json.dumps(service.ask("What is a project proponent?", []))
    threads, per_thread, errors = 8, 25, []

    def writer(t: int) -> None:
        try:
            for i in range(per_thread):
                service.feedback(ans, "up" if i % 2 else "down", f"{t}:{i}:" + "w" * 3000)
        except Exception as exc:  # collected so one failure does not hide the rest
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert not errors
    rows = _rows(service.feedback_path)
    assert len(rows) == threads * per_thread
    seen = {":".join(r["comment"].split(":")[:2]) for r in rows}
    assert seen == {f"{t}:{i}" for t in range(threads) for i in range(per_thread)}
