"""Where the real public logs live, and how importers complain about a source file."""

from __future__ import annotations

from pathlib import Path

from persona_dagster.settings import REPO_ROOT

# The logs sit beside the repository, never inside it (see ../shared/data/README.md).
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


class ImportSourceError(ValueError):
    """A source file whose layout is not the one its importer reads; names the file and line."""

    def __init__(self, src: Path, line: int | None, message: str) -> None:
        super().__init__(f"{src}, line {line}: {message}" if line is not None else f"{src}: {message}")
        self.src = src
        self.line = line


def require_source(src: str | Path) -> Path:
    """The source path, or a FileNotFoundError that says where the real logs are."""
    path = Path(src)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; the real logs live in ../shared/data, see its README")
    return path
