"""Every user TOML file (policy, claims, preset) fails as one InputError naming the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from cibscope.audit.claims import load_claims as load_audit_claims
from cibscope.errors import InputError
from cibscope.mediapolicy.policy import load_policy
from cibscope.referral.claims import load_claims as load_referral_claims
from cibscope.referral.series import load_preset
from cibscope.tomlfile import read_toml

LOADERS = {"policy": load_policy, "referral claims": load_referral_claims, "audit claims": load_audit_claims, "preset": load_preset}


@pytest.mark.parametrize("loader", list(LOADERS.values()), ids=list(LOADERS))
def test_missing_folder_non_utf8_and_invalid_toml_are_input_errors(loader, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'title = "caf\xe9"\n')
    broken = tmp_path / "broken.toml"
    broken.write_text('x = 1\ny = "\n', encoding="utf-8")
    cases = [(tmp_path / "missing.toml", "no such", None), (folder, "is a folder", None), (latin, "not UTF-8", None), (broken, "not valid TOML", 2)]
    for path, words, line in cases:
        with pytest.raises(InputError, match=words) as e:
            loader(path)
        assert e.value.file == str(path) and e.value.line == line


def test_read_toml_returns_the_table(tmp_path: Path) -> None:
    p = tmp_path / "ok.toml"
    p.write_text('[policy]\nid = "x"\n', encoding="utf-8")
    assert read_toml(p, "policy file") == {"policy": {"id": "x"}}
