"""How large each glued figure's smallest text is on a phone, chapter by chapter.

Executes the chapters' code cells (quick profile, no book build) with the legibility
check of ``dlbook.config.glue`` turned into a record, and prints, for each figure,
its width and its smallest text in CSS pixels at the phone's figure width
(``dlbook.plotting.phone_text_px``); with ``--save DIR`` it writes each figure's PNG
there for a look.

    .venv/bin/python benchmarks/figure_legibility.py book/06_optimizers.md [--save /tmp/figs]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jupytext
import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]

RECORD = """
import json as _json, pathlib as _pathlib
from dlbook import plotting as _plotting
_SAVE = {save!r}
def _record(fig, name="figure"):
    size = fig.get_size_inches()
    print("FIGURE " + _json.dumps({{"name": name, "width_in": round(float(size[0]), 2),
                                   "height_in": round(float(size[1]), 2),
                                   "phone_px": round(_plotting.phone_text_px(fig), 2)}}))
    if _SAVE:
        fig.savefig(_pathlib.Path(_SAVE) / f"{{name}}.png")
_plotting.check_legible = _record
"""


def figures(chapter: Path, save: str | None) -> list[dict]:
    """Execute ``chapter`` and return one record per glued figure."""
    notebook = jupytext.read(chapter)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(RECORD.format(save=save)))
    nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(chapter.parent)}}).execute()
    records = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("FIGURE "):
                    records.append(json.loads(line[len("FIGURE "):]))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path,
                        help="chapter sources (default: every book/NN_*.md)")
    parser.add_argument("--save", metavar="DIR", help="write each figure's PNG to DIR")
    args = parser.parse_args()
    chapters = args.chapters or sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))
    missing = [str(c) for c in chapters if not c.is_file()]
    if missing:
        parser.error(f"no such chapter file: {', '.join(missing)}")
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
    from dlbook.plotting import MIN_TEXT_PX

    for chapter in chapters:
        for record in figures(chapter.resolve(), args.save and str(Path(args.save).resolve())):
            verdict = "ok" if record["phone_px"] >= MIN_TEXT_PX else "TOO SMALL"
            print(f"{chapter.stem:28} {record['name']:34} {record['width_in']:5.2f} x "
                  f"{record['height_in']:4.2f} in  {record['phone_px']:5.2f} px  {verdict}",
                  flush=True)


if __name__ == "__main__":
    main()
