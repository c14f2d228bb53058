"""Which package code each chapter shows, and under which section (prints a report).

    python3 benchmarks/shown_code.py

Every ``literalinclude`` of ``dlbook`` source with ``:pyobject:``, listed by
chapter and section, and the number of hidden-cell asserts per chapter (the
checks behind the prose's qualitative claims).
"""

from __future__ import annotations

import re
from pathlib import Path

from dlbook.notebooks import listings

ROOT = Path(__file__).resolve().parents[1]
HIDDEN_CELL = re.compile(r"```\{code-cell\} ipython3\n:tags: \[remove-(?:cell|input|output)\]\n(.*?)```",
                         flags=re.S)


def shown_by_section(text: str) -> dict[str, list[str]]:
    """``{section title: [module.function, ...]}`` in the order the chapter shows them."""
    sections: dict[str, list[str]] = {}
    headings = [(m.start(), m.group(1)) for m in re.finditer(r"^#{2,3} (.+)$", text, flags=re.M)]
    for module, name, offset in listings(text):
        title = next((t for start, t in reversed(headings) if start < offset), "(opening)")
        sections.setdefault(title, []).append(f"{module}.{name}")
    return sections


def hidden_asserts(text: str) -> int:
    return sum(len(re.findall(r"^\s*(?:assert |np\.testing\.assert_)", cell, flags=re.M))
               for cell in HIDDEN_CELL.findall(text))


def main() -> None:
    total = 0
    for chapter in sorted((ROOT / "book").glob("[0-9][0-9]_*.md")):
        text = chapter.read_text()
        sections = shown_by_section(text)
        count = sum(len(functions) for functions in sections.values())
        total += count
        print(f"{chapter.stem}: {count} shown, {hidden_asserts(text)} hidden asserts")
        for title, functions in sections.items():
            print(f"    {title}: {', '.join(functions)}")
    print(f"total: {total} listings")


if __name__ == "__main__":
    main()
