"""`alliance-sim run`: the summary, the JSON contract and the files --out writes."""

import json
import os
import re
import stat

import pandas as pd
import pytest

from sim.cli import main

RUN_FILES = ("outcome.json", "rounds.parquet", "allies_by_round.parquet", "convergence.png")


def test_json_output_has_the_documented_fields(capsys):
    assert main(["run", "--json", "--seed", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    for field in ("deal", "core_target_pct", "related_target_pct", "deadline_year", "rounds",
                  "holdouts", "flexibility", "baselines", "allies"):
        assert field in data
    assert set(data["baselines"]) == {"weighted_mean", "weighted_median", "nash"}
    assert len(data["allies"]) == 32
    spain = next(a for a in data["allies"] if a["iso3"] == "ESP")
    for field in ("iso3", "start_pct", "initial_position_pct", "final_position_pct", "accepted", "trajectory"):
        assert field in spain
    assert spain["trajectory"]["2024"] == spain["start_pct"]
    assert isinstance(data["deal"], bool) and isinstance(data["holdouts"], list)


def test_related_target_is_null_without_split(capsys):
    assert main(["run", "wales2014", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["related_target_pct"] is None


def test_summary_names_the_package_and_the_allies(capsys):
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "Scenario: Hague 2025" in out
    assert "Deal after " in out and "% defence-related = " in out  # the package, split
    # with the defaults Spain prefers no agreement to the package and is carried with a side letter
    assert "Flexibility (side letters): ESP\n" in out
    assert "Baselines from the opening positions" in out
    assert re.search(r"^ESP .* rejects \(flexibility\)$", out, flags=re.MULTILINE)
    # Where blocking costs every ally more than the package asks of it beyond its ideal
    # (consensus_stake_pct 3), every ally signs, Spain too: the summary says none was carried.
    assert main(["run", "--set", "consensus_stake_pct=3"]) == 0
    out = capsys.readouterr().out
    assert "Flexibility (side letters): none" in out
    assert re.search(r"^ESP .* accepts$", out, flags=re.MULTILINE)


@pytest.mark.slow
def test_out_writes_tables_and_figure_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--out", str(out)]) == 0
    rounds = pd.read_parquet(out / "rounds.parquet")
    allies = pd.read_parquet(out / "allies_by_round.parquet")
    outcome = json.loads((out / "outcome.json").read_text())
    assert len(rounds) == outcome["rounds"] + 1
    assert len(allies) == 32 * len(rounds)
    assert (out / "convergence.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = (out / "outcome.json").read_text()
    capsys.readouterr()
    assert main(["run", "--seed", "5", "--out", str(out)]) == 2
    assert "already holds" in capsys.readouterr().err
    assert (out / "outcome.json").read_text() == before


@pytest.mark.parametrize("command", ["run", "viz", "validate", "sweep"])
def test_every_command_describes_itself(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    usage, _, rest = capsys.readouterr().out.partition("\n\n")
    assert rest.split("\n\n")[0].strip() and not rest.startswith(("positional", "options")), rest[:80]


@pytest.mark.slow
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_run_files_respect_the_umask(tmp_path, capsys, umask, mode):
    previous = os.umask(umask)
    try:
        assert main(["run", "--out", str(tmp_path / "out")]) == 0
    finally:
        os.umask(previous)
    modes = {name: stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) for name in RUN_FILES}
    assert modes == dict.fromkeys(RUN_FILES, mode)
