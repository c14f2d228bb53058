"""``dlbook exercises``: a chapter's stubs written where the student works, never over their work."""

import subprocess
import sys
from pathlib import Path

import pytest

from dlbook import cli, distribution
from tests.users import as_user

ROOT = Path(__file__).resolve().parents[1]


def test_without_a_chapter_it_lists_every_stub(capsys):
    cli.main(["exercises"])
    listed = capsys.readouterr().out.split()
    assert sorted(listed[1::2]) == sorted(p.name for p in (ROOT / "exercises").glob("ch*_*.py"))


def test_writes_the_chapters_stub_into_the_folder(tmp_path, capsys):
    cli.main(["exercises", "ch03", "--to", str(tmp_path / "new")])
    written = tmp_path / "new" / "ch03_backprop.py"
    assert written.read_bytes() == (ROOT / "exercises" / "ch03_backprop.py").read_bytes()
    assert f"dlbook grade {written}" in capsys.readouterr().out


def test_an_existing_file_is_kept_unless_forced(tmp_path, capsys):
    target = tmp_path / "ch03_backprop.py"
    target.write_text("my work")
    with pytest.raises(SystemExit) as stop:
        cli.main(["exercises", "ch03", "--to", str(tmp_path)])
    assert stop.value.code == 2
    assert "exists: pass --force" in capsys.readouterr().err
    assert target.read_text() == "my work"
    cli.main(["exercises", "ch03", "--to", str(tmp_path), "--force"])
    assert target.read_bytes() == distribution.stub_file("ch03").read_bytes()


@pytest.mark.parametrize("argv, message", [
    (["exercises", "ch99"], "chapter 'ch99' has no coding exercises; chapters with some: ch01"),
    (["exercises", "three"], "chapter must look like 'ch03', got 'three'"),
])
def test_an_unknown_chapter_is_one_line_and_writes_nothing(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        cli.main([*argv, "--to", str(tmp_path)])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_file_as_the_target_folder_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(SystemExit):
        cli.main(["exercises", "ch03", "--to", str(tmp_path / "notes.txt")])
    assert "not a folder" in capsys.readouterr().err


def test_a_read_only_folder_is_one_line_and_writes_nothing(tmp_path):
    home, locked = tmp_path / "home", tmp_path / "locked"
    home.mkdir(mode=0o777)
    locked.mkdir(mode=0o555)  # owned by root: the ordinary user may read, not write
    tmp_path.chmod(0o755)
    command = [sys.executable, "-m", "dlbook", "exercises", "ch03", "--to", str(locked)]
    result = subprocess.run(as_user(command, home), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"dlbook exercises: error: cannot write {locked}/ch03_backprop.py: "
                                     "Permission denied")
    assert list(locked.iterdir()) == []
