"""The consent loop as a volunteer-centre app drives it: rounds over weeks, decisions that
arrive late or twice, a dataset that changes, a ledger shared by threads."""

from __future__ import annotations

import pytest

import matchkit as mk
from matchkit import InvalidInputError, Ledger, Offer
from matchkit.datasets import tiny_city


def _offer(v: str, n: str) -> Offer:
    return Offer(volunteer_id=v, need_id=n, score=0.5, capacity=1, max_placements=1)


def test_a_round_dated_before_the_latest_round_is_refused_and_writes_nothing() -> None:
    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-10")
        with pytest.raises(InvalidInputError, match=r"before the day of the ledger's round 1 \(2026-09-10"):
            ledger.record_round([_offer("v2", "n2")], at="2026-09-03")
        assert len(ledger) == 2
        assert ledger.record_round([_offer("v2", "n2")], at="2026-09-10") == 2  # same time


def test_match_with_an_as_of_before_the_latest_round_is_refused_before_any_withdrawal() -> None:
    ds = tiny_city()
    with Ledger(":memory:") as ledger:
        first = mk.match(ds, ledger=ledger, as_of="2026-09-10")
        gone = first.proposals[0].need_id  # its open offer would be withdrawn by the centre
        smaller = type(ds)(volunteers=ds.volunteers, organisations=ds.organisations,
                           needs=[n for n in ds.needs if n.id != gone])
        n_events = len(ledger)
        with pytest.raises(InvalidInputError, match=r"match: .*2026-09-03.*round 1.*as_of"):
            mk.match(smaller, ledger=ledger, as_of="2026-09-03")
        assert len(ledger) == n_events
        assert mk.match(smaller, ledger=ledger, as_of="2026-09-17").round == 2


def test_a_round_as_of_the_day_of_a_round_made_later_that_day_is_recorded() -> None:
    ds = tiny_city()
    with Ledger(":memory:") as ledger:
        # a round made at the time it ran (15:00), then one as of that day (00:00 UTC)
        first = mk.match(ds, ledger=ledger, as_of="2026-09-01", at="2026-09-01T15:00:00Z")
        gone = first.proposals[0]
        smaller = type(ds)(volunteers=ds.volunteers, organisations=ds.organisations,
                           needs=[n for n in ds.needs if n.id != gone.need_id])
        assert mk.match(smaller, ledger=ledger, as_of="2026-09-01").round == 2
        (withdrawn,) = ledger.events(kind="withdrawn", need_id=gone.need_id)
        assert withdrawn.at.isoformat() == "2026-09-01T15:00:00+00:00"  # not before the offer


def test_a_placement_cannot_be_withdrawn_at_a_time_before_it_was_accepted() -> None:
    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        ledger.accept("v1", "n1", at="2026-09-05")
        with pytest.raises(mk.DecisionError, match=r"before the placement was accepted \(2026-09-05"):
            ledger.withdraw("v1", "n1", by="volunteer", at="2026-09-03")
        assert ledger.state(as_of="2026-09-06").placements == {("v1", "n1")}
        event = ledger.withdraw("v1", "n1", by="volunteer", at="2026-09-05")  # the same moment
        assert event.payload["ended"] == "placement"


def test_a_closed_ledger_says_so_for_every_read_and_write(tmp_path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
    ledger.close()
    for use in (
        lambda: ledger.state(as_of="2026-09-02"),
        lambda: list(ledger.events()),
        lambda: len(ledger),
        lambda: ledger.export_jsonl(tmp_path / "e.jsonl"),
        lambda: ledger.integrity_check(),
        lambda: ledger.accept("v1", "n1", at="2026-09-02"),
        lambda: ledger.batch(),
    ):
        with pytest.raises(InvalidInputError, match=r"l\.sqlite.* is closed; open it again"):
            use()
    assert repr(ledger).endswith("closed)")


def test_threads_of_a_web_app_share_one_ledger_object(tmp_path) -> None:
    import threading
    from collections import Counter

    ledger = Ledger(tmp_path / "l.sqlite")
    n_threads, per_thread = 6, 15
    offers = [_offer(f"t{t}-v{j}", f"t{t}-n{j}") for t in range(n_threads) for j in range(per_thread)]
    offers += [Offer(volunteer_id=f"h{t}", need_id="hot", score=0.5, capacity=2, max_placements=1)
               for t in range(n_threads)]
    ledger.record_round(offers, at="2026-09-01")
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def answer(t: int) -> None:
        try:
            start.wait()
            for j in range(per_thread):
                if j % 2:
                    ledger.accept(f"t{t}-v{j}", f"t{t}-n{j}", at="2026-09-02")
                else:
                    ledger.reject(f"t{t}-v{j}", f"t{t}-n{j}", at="2026-09-02")
                ledger.state(as_of="2026-09-02")
            try:
                with ledger.batch():  # other threads wait for it to end
                    ledger.accept(f"h{t}", "hot", at="2026-09-02")
                outcomes["hot"] += 1
            except mk.DecisionError:
                outcomes["full"] += 1
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=answer, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert outcomes == {"hot": 2, "full": n_threads - 2}
    state = ledger.state(as_of="2026-09-03")
    assert len(state.placements) == n_threads * (per_thread // 2) + 2
    assert len(state.rejected) == n_threads * (per_thread - per_thread // 2)
    ledger.close()
    with Ledger(tmp_path / "l.sqlite") as again:
        assert again.state(as_of="2026-09-03") == state


def test_a_round_planned_in_a_worker_thread_uses_the_app_s_ledger() -> None:
    import threading

    ledger = Ledger(":memory:")
    results: list[object] = []
    worker = threading.Thread(
        target=lambda: results.append(mk.match(tiny_city(), ledger=ledger, as_of="2026-09-01"))
    )
    worker.start()
    worker.join()
    assert len(results) == 1
    assert ledger.state(as_of="2026-09-02").rounds[0].n_offers > 0
    ledger.close()


def test_a_thread_waits_for_another_thread_s_batch_at_most_the_timeout(tmp_path) -> None:
    import threading

    ledger = Ledger(tmp_path / "l.sqlite", timeout=0.2)
    ledger.record_round([_offer("v1", "n1"), _offer("v2", "n2")], at="2026-09-01")
    seen: list[BaseException] = []
    with ledger.batch():
        ledger.accept("v1", "n1", at="2026-09-02")

        def other() -> None:
            try:
                ledger.accept("v2", "n2", at="2026-09-02")
            except mk.MatchkitError as err:
                seen.append(err)

        th = threading.Thread(target=other)
        th.start()
        th.join()
    assert len(seen) == 1 and "busy" in str(seen[0]) and "timeout" in str(seen[0])
    assert ledger.accept("v2", "n2", at="2026-09-02").kind.value == "accepted"
    ledger.close()


def test_repr_does_not_wait_for_another_thread_s_batch(tmp_path) -> None:
    import threading

    # With a long timeout, a repr that waited for the batch would show its event count
    # only once the batch is over; it says at once that the ledger is in use.
    ledger = Ledger(tmp_path / "l.sqlite", timeout=30.0)
    ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
    shown: list[str] = []
    with ledger.batch():
        ledger.accept("v1", "n1", at="2026-09-02")
        assert repr(ledger).endswith("l.sqlite', 3 events)")  # (its own thread: counted)
        th = threading.Thread(target=lambda: shown.append(repr(ledger)))
        th.start()
        th.join()
    assert len(shown) == 1 and shown[0].endswith("l.sqlite', in use by another thread)")
    assert repr(ledger).endswith("l.sqlite', 3 events)")
    ledger.close()


def test_a_malformed_event_is_named_by_its_seq_and_field_wherever_it_is_read(tmp_path) -> None:
    import json
    import sqlite3

    from matchkit._ledger_state import parse_time

    at = parse_time("2026-09-01")
    no_expiry = mk.LedgerEvent(1, at, mk.EventKind.OFFERED, 1, "v1", "n1", {"score": 1.0})
    with pytest.raises(InvalidInputError, match=r"event 1 \(offered\).*no 'expires_at'"):
        Ledger.replay([no_expiry])
    with pytest.raises(InvalidInputError, match=r"mapping.*LedgerEvent\.from_json"):
        Ledger.replay([{"seq": 1, "kind": "round"}])

    export = tmp_path / "events.jsonl"
    header = {"format": "matchkit-ledger-events", "schema_version": 1, "n_events": 1}
    event = {"seq": 1, "at": "2026-09-01T00:00:00Z", "kind": "need_status", "round": None,
             "volunteer_id": None, "need_id": "n1", "payload": {"to": "someday"}}
    export.write_text(json.dumps(header) + "\n" + json.dumps(event) + "\n")
    with pytest.raises(InvalidInputError, match=r"events\.jsonl.*event 1 \(need_status\).*someday"):
        Ledger.replay(export)

    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
    con = sqlite3.connect(path)  # a round event written by another program, without its counts
    con.execute("INSERT INTO events (at, recorded_at, round, kind, payload) VALUES "
                "('2026-09-08T00:00:00.000000Z', '2026-09-08T00:00:00.000000Z', 2, 'round', '{}')")
    con.commit()
    con.close()
    with Ledger(path) as ledger, pytest.raises(
        InvalidInputError, match=r"l\.sqlite.*event 3 \(round\).*no 'n_offers'"
    ):
        ledger.state(as_of="2026-09-09")


def test_export_and_replay_name_the_file_they_cannot_use(tmp_path) -> None:
    import json

    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        with pytest.raises(InvalidInputError, match=r"missing.*does not exist; create it"):
            ledger.export_jsonl(tmp_path / "missing" / "e.jsonl")
        with pytest.raises(InvalidInputError, match=r"it is a folder"):
            ledger.export_jsonl(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.sqlite"]
    for source, expected in (
        (tmp_path / "nope.jsonl", r"nope\.jsonl.*No such file"),
        (tmp_path, r"cannot read the ledger export"),
        (tmp_path / "l.sqlite", r"l\.sqlite' is not UTF-8 text"),  # the SQLite file itself
    ):
        with pytest.raises(InvalidInputError, match=expected):
            Ledger.replay(source)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"format": "matchkit-ledger-events", "schema_version": "one",
                               "n_events": 0}) + "\n")
    with pytest.raises(InvalidInputError, match=r"line 1: schema_version must be a whole number"):
        Ledger.read_jsonl(bad)


def test_arguments_a_web_form_can_get_wrong_are_clear_errors() -> None:
    with Ledger(":memory:") as ledger:
        with pytest.raises(InvalidInputError, match=r"offers must be an iterable.*NoneType"):
            ledger.record_round(None, at="2026-09-01")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match=r"past the year 9999"):
            ledger.record_round([], at="9999-12-31")
        assert len(ledger) == 0
        with pytest.raises(mk.UnknownMethodError, match=r"'kind' parameter of Ledger.events.*'offered'"):
            list(ledger.events(kind="offer"))


def _cli_ledger(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record_round([_offer("v1", "n1"), _offer("v2", "n2")], at="2026-09-01")
    return path


def test_cli_status_limit_is_a_count_of_rows_0_or_more(tmp_path, capsys) -> None:
    from matchkit.cli import main as cli

    path = _cli_ledger(tmp_path)
    assert cli(["status", "--ledger", str(path), "--as-of", "2026-09-02", "--limit", "0"]) == 0
    out = capsys.readouterr().out
    assert "open offers: 2\n  ... and 2 more" in out and "placements: 0\n" in out
    with pytest.raises(SystemExit) as exit_:
        cli(["status", "--ledger", str(path), "--limit", "-1"])
    assert exit_.value.code == 2
    assert "--limit: must be a whole number of rows, 0 or more; got '-1'" in capsys.readouterr().err


def test_cli_decide_refuses_options_it_would_not_record(tmp_path, capsys) -> None:
    from matchkit.cli import main as cli

    path = _cli_ledger(tmp_path)
    base = ["decide", "--ledger", str(path), "--at", "2026-09-02"]
    assert cli([*base, "--accept", "v1", "n1", "--reason", "keen"]) == 1
    assert cli([*base, "--reject", "v1", "n1", "--by", "need"]) == 1
    err = capsys.readouterr().err
    assert "--reason cannot go with --accept" in err and "--by cannot go with --reject" in err
    with Ledger(path) as ledger:
        assert len(ledger) == 3
    assert cli([*base, "--reject", "v1", "n1", "--reason", "too far"]) == 0
    assert cli([*base, "--withdraw", "v2", "n2"]) == 0  # by the volunteer
    with Ledger(path) as ledger:
        state = ledger.state(as_of="2026-09-03")
        assert next(ledger.events(kind="rejected")).payload == {"reason": "too far"}
    assert state.withdrawn == {("v2", "n2"): "volunteer"}


def test_accepting_at_a_need_of_thousands_of_places_does_not_look_up_each_placement() -> None:
    n = 2000
    with Ledger(":memory:") as ledger:
        ledger.record_round(
            [Offer(volunteer_id=f"v{i}", need_id="clean-up day", score=0.5, capacity=n,
                   max_placements=1) for i in range(n + 1)],
            at="2026-09-01",
        )
        ticks = [0]

        def tick() -> int:
            ticks[0] += 1
            return 0

        def cost(v: str) -> int:  # SQLite virtual-machine steps, in hundreds
            ticks[0] = 0
            ledger._store.conn.set_progress_handler(tick, 100)
            try:
                ledger.accept(v, "clean-up day", at="2026-09-02")
            finally:
                ledger._store.conn.set_progress_handler(None, 0)
            return ticks[0]

        with ledger.batch():
            for i in range(n - 1):
                ledger.accept(f"v{i}", "clean-up day", at="2026-09-02")
            last = cost(f"v{n - 1}")  # the 2000th placement: was about 540 (each one looked up)
        assert last < 200
        with pytest.raises(mk.DecisionError, match=r"the need is full \(2000 of 2000 places taken by v0, v1"):
            ledger.accept(f"v{n}", "clean-up day", at="2026-09-02")


def test_an_export_whose_lines_are_out_of_log_order_is_refused_by_line(tmp_path) -> None:
    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        ledger.reject("v1", "n1", at="2026-09-02")
        ledger.record_round([], at="2026-09-08")
        ledger.export_jsonl(tmp_path / "e.jsonl")
    header, *events = (tmp_path / "e.jsonl").read_text().splitlines()
    # (a replay folds lines in file order: a pair's events out of order give another state)
    shuffled = [events[0], events[3], events[1], events[2]]
    (tmp_path / "sorted.jsonl").write_text("\n".join([header, *shuffled]) + "\n")
    with pytest.raises(InvalidInputError, match=r"sorted\.jsonl', line 4: .*seq 2 comes after seq 4"):
        Ledger.replay(tmp_path / "sorted.jsonl")


def test_an_unknown_id_that_only_looks_different_is_named_with_the_id_it_may_mean() -> None:
    nfc, nfd = "Zo\u00eb", "Zoe\u0308"  # print alike; a form or a Mac keyboard may send either
    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer(nfc, "Ёлка-1")], at="2026-09-01")
        with pytest.raises(mk.DecisionError) as err:
            ledger.accept(nfd, "\u0415\u0308\u043b\u043a\u0430-1", at="2026-09-02")
        text = str(err.value)
        assert (f"unknown volunteer {nfd!r} (did you mean 'Zo\\xeb'? the same letters, "
                "written 'Zoe\\u0308')") in text
        assert r"(did you mean '\u0401\u043b\u043a\u0430-1'?" in text
        with pytest.raises(mk.DecisionError, match=r"unknown volunteer 'v9' \(never"):
            ledger.accept("v9", "Ёлка-1", at="2026-09-02")  # no look-alike: no hint
        assert len(ledger) == 2


@pytest.mark.parametrize("change", ["need leaves", "need closed", "limit lowered"])
def test_an_offer_accepted_while_the_next_round_is_planned_stays_a_placement(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matchkit._match as match_module

    ds = tiny_city()
    with Ledger(":memory:") as ledger:
        first = mk.match(ds, ledger=ledger, as_of="2026-09-01")
        vid, nid = first.proposals[0].volunteer_id, first.proposals[0].need_id
        needs, volunteers = list(ds.needs), list(ds.volunteers)
        if change == "need leaves":
            needs = [n for n in needs if n.id != nid]
        elif change == "need closed":  # no room for any open offer of the need
            needs = [n.model_copy(update={"status": mk.NeedStatus.CLOSED}) if n.id == nid
                     else n for n in needs]
        else:  # v2 holds offers of n1 and n2 with a limit of 2; now 1: the newest goes
            vid, nid = "v2", "n2"
            assert {("v2", "n1"), ("v2", "n2")} <= {(p.volunteer_id, p.need_id)
                                                     for p in first.proposals}
            volunteers = [v.model_copy(update={"max_placements": 1}) if v.id == vid else v
                          for v in volunteers]
        changed = type(ds)(volunteers=volunteers, organisations=ds.organisations, needs=needs)
        planned = match_module.round_problem

        def answer_meanwhile(*args: object, **kwargs: object) -> object:
            # the volunteer's "yes" reaches the app (another process) while the round plans
            ledger.accept(vid, nid, at="2026-09-01T06:00:00Z")
            return planned(*args, **kwargs)

        monkeypatch.setattr(match_module, "round_problem", answer_meanwhile)
        # (the same day, while n1 is not over yet)
        mk.match(changed, ledger=ledger, as_of="2026-09-01", at="2026-09-01T12:00:00Z")
        state = ledger.state(as_of="2026-09-01T13:00:00Z")
        assert (vid, nid) in state.placements
        assert not list(ledger.events(kind="withdrawn", volunteer_id=vid, need_id=nid))


@pytest.mark.parametrize("where", ["in the header", "in the middle"])
def test_a_ledger_damaged_where_it_is_read_later_is_called_damaged(tmp_path, where: str) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record_round([Offer(volunteer_id=f"v{i}", need_id=f"n{i}", score=0.5, capacity=1,
                                   max_placements=1) for i in range(2000)], at="2026-09-01")
    data = bytearray(path.read_bytes())
    start, end = (110, 310) if where == "in the header" else (len(data) // 4, len(data) // 2)
    data[start:end] = b"\xab" * (end - start)
    path.write_bytes(bytes(data))
    if where == "in the middle":  # it opens; a repr in a log line must not raise then
        with Ledger(path) as ledger:
            assert repr(ledger).endswith("l.sqlite', unreadable)")
    with pytest.raises(InvalidInputError, match=r"l\.sqlite' is damaged.*restore it from a backup"), \
            Ledger(path) as ledger:
        ledger.state(as_of="2026-09-02")


def test_a_ledger_path_that_cannot_be_a_file_says_what_is_wrong_with_it(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("not a folder")
    for path, expected in (
        (tmp_path / "new" / "l.sqlite", r"its folder '.*new' does not exist; create the folder"),
        (tmp_path / "notes.txt" / "l.sqlite", r"its folder '.*notes\.txt' is not a folder"),
        ("~/no-such-place/l.sqlite", r"'~' is not expanded: give the full path"),
        (None, r"the ledger path must be a file name \(str or path\), got NoneType"),
    ):
        with pytest.raises(InvalidInputError, match=expected):
            Ledger(path)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_decisions_take_ids_as_the_data_loader_reads_them(tmp_path) -> None:
    import numpy as np

    with Ledger(":memory:") as ledger:
        # whole-number ids, as a JSON body or a DataFrame column gives them
        ledger.record_round([{"volunteer_id": 17, "need_id": np.int64(3), "score": 0.5}],
                            at="2026-09-01", capacity={"3": 2}, max_placements={"17": 1})
        assert ledger.accept(np.int64(17), 3, at="2026-09-02").volunteer_id == "17"
        assert ledger.accept(" 17 ", "3\n", at="2026-09-02").seq == 3  # spaces around: as offered
        assert ledger.state(as_of="2026-09-03").placements == {("17", "3")}
        with pytest.raises(mk.DecisionError, match=r"volunteer_id must be a non-empty string"):
            ledger.reject(True, 3, at="2026-09-02")


def test_a_need_transition_without_a_need_id_is_refused_before_it_can_spoil_the_log(
    tmp_path, capsys
) -> None:
    from matchkit.cli import main as cli

    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record_need_transition("n1", "idea", by="org1", reason="proposed")
        for bad in (None, "", "  "):
            with pytest.raises(InvalidInputError, match=r"need_id must be a non-empty string"):
                ledger.record_need_transition(bad, "idea", by="org1", reason="proposed")
        assert ledger.record_need_transition(7, "idea", by="org1", reason="x").need_id == "7"
        assert len(ledger) == 2
    assert cli(["status", "--ledger", str(path)]) == 0  # (a None key made it crash sorting)
    assert "7: idea" in capsys.readouterr().out



def test_a_need_the_ledger_has_not_seen_is_recorded_at_its_status_in_the_dataset() -> None:
    """A need the dataset has as vetted, vetted again with a ledger that never saw it (a new
    ledger, or one started after the need was vetted): the ledger refused 'is vetted; it
    cannot move to vetted', so the new vetting could not be recorded."""
    orgs = [{"id": "club", "name": "Club", "kind": "cso", "registered": False},
            {"id": "vc", "name": "Centre", "kind": "volunteer_centre", "registered": True}]
    need = {"id": "n1", "organisation_id": "club", "title": "Trees", "remote": True,
            "capacity": 2, "causes": ["environment"], "status": "vetted", "vetted_by": "vc"}
    ds = mk.Dataset(organisations=orgs, needs=[need])
    with Ledger(":memory:") as ledger:
        again = mk.vet_need(ds, "n1", by="vc", reason="checked again", ledger=ledger,
                            at="2027-01-02")
        assert again.need("n1").status.value == "vetted"
        for status in ("idea", "open", "closed"):
            ledger.record_need_transition(f"n-{status}", status, by="vc", reason="as in the data",
                                          from_status=status, at="2027-01-02")
        moves = {e.need_id: (e.payload["from"], e.payload["to"])
                 for e in ledger.events(kind="need_status")}
        assert moves == {"n1": ("vetted", "vetted"), "n-idea": ("idea", "idea"),
                         "n-open": ("open", "open"), "n-closed": ("closed", "closed")}
        # known to the ledger now: the same status again writes nothing
        n = len(ledger)
        ledger.record_need_transition("n-open", "open", by="vc", reason="again")
        assert len(ledger) == n

def test_a_batch_inside_a_batch_writes_nothing_when_an_error_escapes_it() -> None:
    with Ledger(":memory:") as ledger:
        ledger.record_round([Offer(volunteer_id=v, need_id="n1", score=1.0, capacity=3,
                                   max_placements=1) for v in ("v1", "v2", "v3")],
                            at="2026-09-01")
        with ledger.batch():
            ledger.accept("v1", "n1", at="2026-09-02")
            try:
                with ledger.batch():  # a helper that records one volunteer's answers
                    ledger.accept("v2", "n1", at="2026-09-02")
                    raise RuntimeError("the confirmation could not be sent")
            except RuntimeError:
                pass
            ledger.accept("v3", "n1", at="2026-09-02")
        assert ledger.state(as_of="2026-09-03").placements == {("v1", "n1"), ("v3", "n1")}
        assert ledger.state(as_of="2026-09-03").status_of("v2", "n1") == "open"


@pytest.mark.parametrize("timeout", [-5, -1, float("nan"), float("inf"), "30", True, 3e6])
def test_a_timeout_that_is_not_a_number_of_seconds_is_refused_at_opening(timeout: object) -> None:
    with pytest.raises(InvalidInputError, match=r"'timeout' parameter of Ledger must be a number"):
        Ledger(":memory:", timeout=timeout)  # type: ignore[arg-type]


def test_cli_decide_says_nothing_written_for_a_repeat_while_another_process_writes(
    tmp_path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchkit.cli import main as cli

    path = _cli_ledger(tmp_path)
    with Ledger(path) as ledger:
        ledger.accept("v1", "n1", at="2026-09-02")
    accept = Ledger.accept

    def accept_while_another_writes(self: Ledger, *args: object, **kwargs: object) -> object:
        event = accept(self, *args, **kwargs)  # type: ignore[arg-type]
        with Ledger(path) as other:  # another process answers at the same moment
            other.reject("v2", "n2", at="2026-09-02")
        return event

    monkeypatch.setattr(Ledger, "accept", accept_while_another_writes)
    assert cli(["decide", "--ledger", str(path), "--accept", "v1", "n1", "--at", "2026-09-02"]) == 0
    assert capsys.readouterr().out.startswith("already accepted v1 / n1")


@pytest.mark.parametrize(("kind", "field"), [("offered", "volunteer_id"), ("rejected", "need_id"),
                                              ("need_status", "need_id")])
def test_an_export_with_an_event_missing_its_ids_is_refused_by_line(tmp_path, kind: str,
                                                                     field: str) -> None:
    import json

    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        ledger.reject("v1", "n1", at="2026-09-02")
        ledger.record_need_transition("n1", "closed", by="org1", reason="done",
                                      from_status="open", at="2026-09-03")
        ledger.export_jsonl(tmp_path / "e.jsonl")
    lines = (tmp_path / "e.jsonl").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if json.loads(line).get("kind") == kind)
    event = json.loads(lines[at])
    event[field] = None  # edited by hand, or written by another program
    lines[at] = json.dumps(event)
    (tmp_path / "e.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInputError, match=rf"line {at + 1}: .*{kind} event needs {field}"):
        Ledger.replay(tmp_path / "e.jsonl")


def test_an_event_with_a_naive_time_is_utc_wherever_the_machine_is(monkeypatch) -> None:
    import time
    from datetime import datetime

    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        event = mk.LedgerEvent(1, datetime(2026, 9, 1, 9, 0), mk.EventKind.ROUND, 1, None, None,
                               {"n_offers": 0, "ttl_days": 7})
        assert event.to_json()["at"] == "2026-09-01T09:00:00.000000Z"
        state = Ledger.replay([event], as_of="2026-09-02")
        assert state.rounds[0].at.isoformat() == "2026-09-01T09:00:00+00:00"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_match_given_a_path_for_the_ledger_says_how_to_open_it() -> None:
    with pytest.raises(InvalidInputError, match=r"must be a matchkit.Ledger or None; got str "
                                               r"\(open it with matchkit.Ledger\('matches.sqlite'\)\)"):
        mk.match(tiny_city(), ledger="matches.sqlite", as_of="2026-09-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"got dict$"):
        mk.match(tiny_city(), ledger={}, as_of="2026-09-01")  # type: ignore[arg-type]


def test_events_after_none_reads_every_event_and_a_text_after_is_refused() -> None:
    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        assert [e.seq for e in ledger.events(after=None)] == [1, 2]  # it read none: 'seq > NULL'
        with pytest.raises(InvalidInputError, match=r"'after' parameter of Ledger.events"):
            ledger.events(after="1")  # type: ignore[arg-type]


def test_cli_status_prints_an_id_with_a_line_break_on_its_own_row(tmp_path, capsys) -> None:
    from matchkit.cli import main as cli

    path = tmp_path / "l.sqlite"
    sneaky = "v1 -> n1 (round 1, expires 2026-09-08 00:00)\n  v2"  # could pass for two rows
    with Ledger(path) as ledger:
        ledger.record_round([_offer(sneaky, "n1")], at="2026-09-01")
    assert cli(["status", "--ledger", str(path), "--as-of", "2026-09-02"]) == 0
    out = capsys.readouterr().out
    assert "open offers: 1\n  'v1 -> n1 (round 1, expires 2026-09-08 00:00)\\n  v2' -> n1" in out
    assert cli(["decide", "--ledger", str(path), "--accept", sneaky, "n1", "--at", "2026-09-02"]) == 0
    assert capsys.readouterr().out.count("\n") == 1


def test_a_backup_of_a_ledger_in_use_holds_the_decisions_still_in_its_log(tmp_path) -> None:
    import shutil

    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:  # open, as in a running app: recent commits are in l.sqlite-wal
        ledger.record_round([_offer("v1", "n1"), _offer("v2", "n2")], at="2026-09-01")
        ledger.accept("v1", "n1", at="2026-09-02")
        shutil.copyfile(path, tmp_path / "file-copy.sqlite")  # the main file alone
        assert ledger.backup(tmp_path / "backup.sqlite") == 4
        with pytest.raises(InvalidInputError, match=r"backup\.sqlite' exists; give a new file name"):
            ledger.backup(tmp_path / "backup.sqlite")
        with pytest.raises(InvalidInputError, match=r"inside a batch"), ledger.batch():
            ledger.backup(tmp_path / "in-batch.sqlite")
    with Ledger(tmp_path / "file-copy.sqlite") as stale:
        assert len(stale) < 4  # what a file copy misses
    with Ledger(tmp_path / "backup.sqlite") as copy:
        assert copy.state(as_of="2026-09-03").placements == {("v1", "n1")}
        assert copy.integrity_check() == "ok"
    assert not list(tmp_path.glob(".*.tmp*"))


def test_a_round_s_offers_with_text_ids_are_read_without_a_number_check_each() -> None:
    """A round of 100k volunteers records about 80k offers: reading ids as numbers too
    (an abstract-class check of each id, two generators per offer) made reading them
    about 15% slower. Python-level calls per offer are counted, not time."""
    import sys

    from matchkit._ledger_rules import coerce_offers

    offers = [{"volunteer_id": f"v{i}", "need_id": f"n{i}", "score": 0.5, "capacity": 1,
               "max_placements": 1} for i in range(1000)]
    calls = [0]

    def count(frame: object, event: str, arg: object) -> None:
        calls[0] += event == "call"

    sys.setprofile(count)
    try:
        coerced = coerce_offers(offers, {}, {})
    finally:
        sys.setprofile(None)
    assert len(coerced) == 1000
    assert calls[0] / len(offers) < 8  # (16 with the number checks; 6 now)
