import hashlib
import os
import stat
import subprocess
import sys

import pytest

from cxlab import privacy

KEY = b"a-secret-key-for-these-tests"


def test_pseudonyms_are_stable_distinct_and_keyed():
    assert privacy.pseudonym("cedar", "CE00001", KEY) == privacy.pseudonym("cedar", "CE00001", KEY)
    labels = {privacy.pseudonym("cedar", f"CE{i:05d}", KEY) for i in range(2000)}
    assert len(labels) == 2000
    assert all(len(label) == len("Employee ") + privacy.LABEL_DIGITS for label in labels)
    other_key = privacy.pseudonym("cedar", "CE00001", b"another-secret-key-entirely")
    assert other_key != privacy.pseudonym("cedar", "CE00001", KEY)
    # The same id at another client gets another label: labels do not link clients.
    assert privacy.pseudonym("bluebird", "CE00001", KEY) != privacy.pseudonym("cedar", "CE00001", KEY)


def test_unkeyed_hashes_do_not_reverse_a_label():
    """The old scheme (sha256 of 'client:id') reversed every label; without the key it fails."""
    label = privacy.pseudonym("cedar", "CE00042", KEY)
    guesses = {f"Employee {hashlib.sha256(f'cedar:CE{i:05d}'.encode()).hexdigest()[:n].upper()}"
               for i in range(1000) for n in (6, privacy.LABEL_DIGITS)}
    assert label not in guesses


def test_the_key_holder_can_map_labels_back():
    ids = [f"CE{i:05d}" for i in range(300)]
    labels = [privacy.pseudonym("cedar", e, KEY) for e in ids[10:13]]
    assert privacy.reverse_labels("cedar", labels + ["Employee 00000000"], ids, KEY) == dict(
        zip(labels, ids[10:13], strict=True))


def test_key_file_is_created_once_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    privacy._file_key.cache_clear()
    first = privacy.pseudonym_key()
    path = tmp_path / "data" / privacy.KEY_FILE
    assert path.is_file() and len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    privacy._file_key.cache_clear()
    assert privacy.pseudonym_key() == first
    # A fresh process reads the same key, so labels agree across the runner's kernels.
    code = "from cxlab import privacy; print(privacy.pseudonym('c', 'E1'))"
    env = {**os.environ, "CXLAB_HOME": str(tmp_path)}
    env.pop(privacy.KEY_ENV, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == privacy.pseudonym("c", "E1", first)


def test_environment_key_wins_and_must_be_long_enough(tmp_path, monkeypatch):
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    monkeypatch.setenv(privacy.KEY_ENV, "x" * 20)
    assert privacy.pseudonym_key() == b"x" * 20
    assert not (tmp_path / "data" / privacy.KEY_FILE).exists()
    monkeypatch.setenv(privacy.KEY_ENV, "short")
    with pytest.raises(privacy.PseudonymKeyError, match="at least 16"):
        privacy.pseudonym_key()


def test_a_damaged_key_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    privacy._file_key.cache_clear()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / privacy.KEY_FILE).write_text("abc\n")
    with pytest.raises(privacy.PseudonymKeyError, match="delete the file"):
        privacy.pseudonym_key()
    privacy._file_key.cache_clear()
