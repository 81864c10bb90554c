"""DBOS's lifetime in a process: run_sync, and what stopping it leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit import Agent, UserError
from agentkit.durable import DurableAgent, shutdown
from agentkit.sim import SIM_API_KEY, Reply, Simulator


def test_run_sync_works_and_agentkit_still_resolves_host_names_after_dbos_stops(
    sim: Simulator, sim_url: str, db: str
) -> None:
    sim.script(Reply(content="From a durable run."), Reply(content="From a plain run."))
    durable = DurableAgent(Agent(api_key=SIM_API_KEY, base_url=sim_url), name="sync", database_url=db)
    assert durable.run_sync("Hi", workflow_id="sync-1").output == "From a durable run."
    shutdown()  # DBOS closes the thread pool it lent to agentkit's background loop
    plain = Agent(api_key=SIM_API_KEY, base_url=sim_url.replace("127.0.0.1", "localhost"))
    assert plain.run_sync("Hi").output == "From a plain run."  # a host name: resolved in a thread


def test_errors_pickle_as_they_are_since_dbos_records_them_so() -> None:
    import pickle

    from agentkit import APIStatusError, MaxTurnsExceeded, RateLimitError
    from agentkit._usage import RunUsage

    teapot = pickle.loads(pickle.dumps(APIStatusError("I'm a teapot", status=418, body={"error": "tea"})))
    assert (str(teapot), teapot.status_code, teapot.body) == ("418 I'm a teapot", 418, {"error": "tea"})
    limited = RateLimitError("slow down", retry_after=2.0)
    again = pickle.loads(pickle.dumps(limited))
    assert (type(again), str(again), again.retry_after) == (RateLimitError, str(limited), 2.0)
    turns = pickle.loads(pickle.dumps(MaxTurnsExceeded("too many", messages=[{"role": "user"}],
                                                       usage=RunUsage(requests=3))))
    assert (str(turns), turns.messages, turns.usage.requests) == ("too many", [{"role": "user"}], 3)


def test_a_database_that_cannot_be_used_is_named_and_a_corrected_one_works_in_the_same_process(
    sim: Simulator, sim_url: str, db: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    agent = Agent(api_key=SIM_API_KEY, base_url=sim_url)
    (tmp_path / "notes.txt").write_text("not a database")
    for url, error in [
        ("sqlite-file", "cannot use the database URL: Could not parse SQLAlchemy URL from given URL string"),
        (f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite'}",
         f"cannot use the database sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite'}: unable to open "
         "database file"),
        (f"sqlite:///{tmp_path / 'notes.txt'}",
         f"cannot use the database sqlite:///{tmp_path / 'notes.txt'}: file is not a database"),
    ]:
        with pytest.raises(UserError) as caught:
            DurableAgent(agent, name="misplaced", database_url=url).run_sync("Hi")
        assert str(caught.value) == (
            f"{error} (give sqlite:///PATH or postgresql://USER@HOST/NAME, and check that the database can "
            "be reached)"
        )
    assert "Traceback" not in capfd.readouterr().err  # nor DBOS's own log of the failed launch
    assert DurableAgent(agent, name="misplaced", database_url=db).run_sync("Hi").output


def test_a_home_where_the_default_database_cannot_go_says_how_to_give_one(
    sim: Simulator, sim_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path / "a-file" / "home"))
    monkeypatch.delenv("DBOS_SYSTEM_DATABASE_URL", raising=False)
    with pytest.raises(UserError) as caught:
        DurableAgent(Agent(api_key=SIM_API_KEY, base_url=sim_url), name="homeless").run_sync("Hi")
    assert str(caught.value) == (
        f"cannot make {tmp_path / 'a-file' / 'home' / '.agentkit'} for the default database (Not a "
        "directory): give a database (--database or database_url: sqlite:///PATH or postgresql://...), "
        "or set DBOS_SYSTEM_DATABASE_URL"
    )
