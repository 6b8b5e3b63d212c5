"""The one output layer: commands hand it rows and a field list, never a format.

Terminal: a rich table. Piped: tab-separated, no header, no truncation, ISO 8601 times.
`--json` (array or object), `--jsonl`, `--csv` on request. Data goes to stdout; messages,
progress and errors to stderr. User text is never read as rich markup.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

from mpo.config import env

if TYPE_CHECKING:
    from rich.console import Console


class Mode(StrEnum):
    """How rows are rendered."""

    TABLE = "table"
    TSV = "tsv"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def stdout_is_tty() -> bool:
    """Whether stdout is a terminal; `MPO_FORCE_TTY=1|0` overrides (tests, `watch`)."""
    forced = os.environ.get(env.FORCE_TTY)
    if forced is not None:
        return forced not in ("", "0")
    return sys.stdout.isatty()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> str:
    """A value as machine-readable text: ISO times, compact JSON for lists and objects."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return str(value)


def _tsv_cell(value: Any) -> str:
    # Tabs and newlines in user text would break the row structure: escape them. (Most
    # cells are plain strings without any: a bulk create prints 600,000 of them.)
    text = value if type(value) is str else _plain(value)
    if "\\" not in text and "\t" not in text and "\n" not in text:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _human(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=_json_default) if value else ""
    return str(value)


#: Tables show ids the way people type them: an 8-character prefix, like git.
_IDS = frozenset({"id", "task_id", "batch_id"})


def _cell(field: str, value: Any) -> str:
    text = _human(value)
    return text[:8] if field in _IDS and len(text) == 36 else text


class Output:
    """Renders rows or one record in the mode the user chose, limited to `fields`."""

    def __init__(self, mode: Mode, fields: Sequence[str], stream: IO[str] | None = None,
                 *, wide: bool = False, droppable: Sequence[str] | None = None) -> None:
        self.mode = mode
        self.fields = tuple(fields)
        self.stream = stream if stream is not None else sys.stdout
        #: Tables: every column at full width, even wider than the terminal (`--wide`).
        self.wide = wide
        #: Tables: the columns a narrow terminal may drop (default: `columns.DROP_ORDER`).
        self.droppable = droppable

    @property
    def for_people(self) -> bool:
        """Whether output goes to a person (a table on a terminal)."""
        return self.mode is Mode.TABLE

    def console(self) -> Console:
        """A rich console on this output's stream; markup and highlighting off."""
        from rich.console import Console

        return Console(file=self.stream, markup=False, highlight=False, emoji=False,
                       force_terminal=stdout_is_tty() or None)

    def rows(self, rows: Iterable[Mapping[str, Any]], *, title: str | None = None) -> None:
        """Render many rows; JSON streams an array without building it in memory."""
        write = self.stream.write
        if self.mode is Mode.JSON:
            count = 0
            write("[")
            for row in rows:
                write(",\n  " if count else "\n  ")
                write(self._json(row))
                count += 1
            write("\n]\n" if count else "]\n")
        elif self.mode is Mode.JSONL:
            for row in rows:
                write(self._json(row) + "\n")
        elif self.mode is Mode.CSV:
            writer = csv.writer(self.stream, lineterminator="\n")
            writer.writerow(self.fields)
            for row in rows:
                writer.writerow([_plain(row.get(f)) for f in self.fields])
        elif self.mode is Mode.TSV:
            for row in rows:
                write("\t".join(_tsv_cell(row.get(f)) for f in self.fields) + "\n")
        else:
            self._table(rows, title)

    def record(self, row: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> None:
        """Render one object: a JSON object, or `field<TAB>value` lines, or a two-column table.

        `extra` adds keys (such as a task's history) beyond the field list.
        """
        if self.mode in (Mode.JSON, Mode.JSONL):
            obj = {f: row.get(f) for f in self.fields} | dict(extra or {})
            indent = 2 if self.mode is Mode.JSON else None
            self.stream.write(json.dumps(obj, indent=indent, ensure_ascii=False,
                                         default=_json_default) + "\n")
        elif self.mode is Mode.CSV:
            # The extra keys are more columns; a list (the history) is a compact JSON cell.
            Output(self.mode, (*self.fields, *(extra or {})), self.stream).rows(
                [dict(row) | dict(extra or {})])
        elif self.mode is Mode.TSV:
            for f in self.fields:
                self.stream.write(f"{f}\t{_tsv_cell(row.get(f))}\n")
            for key, value in (extra or {}).items():
                self.stream.write(f"{key}\t{_tsv_cell(value)}\n")
        else:
            from rich.table import Table
            from rich.text import Text

            table = Table(show_header=False, box=None, pad_edge=False)
            table.add_column(style="bold")
            table.add_column(overflow="fold")
            for f in self.fields:
                table.add_row(Text(f), Text(_human(row.get(f))))
            self.console().print(table)

    def report(
        self,
        document: Mapping[str, Any],
        rows: Iterable[Mapping[str, Any]],
        *,
        people: Callable[[Console], None],
        plain: Callable[[IO[str]], None],
    ) -> None:
        """Render a report: the whole document as JSON, its rows as CSV, a rich report on a
        terminal (`people`), or plain text when piped (`plain`, for a cron mail)."""
        if self.mode in (Mode.JSON, Mode.JSONL):
            indent = 2 if self.mode is Mode.JSON else None
            self.stream.write(json.dumps(document, indent=indent, ensure_ascii=False,
                                         default=_json_default) + "\n")
        elif self.mode is Mode.CSV:
            self.rows(rows)
        elif self.mode is Mode.TSV:
            plain(self.stream)
        else:
            people(self.console())

    def page(self, rows: Iterable[Mapping[str, Any]], next_cursor: str | None) -> None:
        """Render one page of a paged list and the cursor of the next (None: no more).

        `--json`: `{"tasks": [...], "next_cursor": ...}`; `--jsonl`: the rows, then one
        `{"next_cursor": ...}` line; otherwise the rows, and the next `--after` on stderr.
        """
        if self.mode is Mode.JSON:
            self.stream.write('{"tasks": ')
            self.rows(rows)
            self.stream.write(f', "next_cursor": {json.dumps(next_cursor)}}}\n')
            return
        self.rows(rows)
        if self.mode is Mode.JSONL:
            self.stream.write(json.dumps({"next_cursor": next_cursor}) + "\n")
        elif next_cursor is not None:
            message(f"more: --after {next_cursor}")

    def _json(self, row: Mapping[str, Any]) -> str:
        return json.dumps({f: row.get(f) for f in self.fields}, ensure_ascii=False,
                          default=_json_default)

    def _table(self, rows: Iterable[Mapping[str, Any]], title: str | None) -> None:
        from rich import box
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        from mpo.cli.columns import DROP_ORDER, FLEX, arrange, one_line

        cells = [[_cell(f, row.get(f)) for f in self.fields] for row in rows]
        for line in cells:
            for i, f in enumerate(self.fields):
                if f in FLEX:
                    line[i] = one_line(line[i])
        natural = [max([cell_len(f), *(cell_len(line[i]) for line in cells)])
                   for i, f in enumerate(self.fields)]
        console = self.console()
        shape = arrange(self.fields, natural, console.width, _GAP, wide=self.wide,
                        droppable=DROP_ORDER if self.droppable is None else self.droppable)
        index = {f: i for i, f in enumerate(self.fields)}
        records = [{f: line[i] for f, i in index.items()} for line in cells]
        if shape.kind != "line":
            from mpo.cli.stacked import blocks, two_lines

            draw = two_lines if shape.kind == "two" else blocks
            draw(console, title, shape, records, FLEX)
            return
        if self.wide:
            console.width = max(console.width, sum(natural) + _GAP * (len(natural) - 1))
        table = Table(title=title, title_justify="left", header_style="bold",
                      box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for c in shape.columns:
            table.add_column(c.field, no_wrap=True, overflow="ellipsis", width=c.width,
                             min_width=None if c.flex else c.width)
        for line in cells:
            table.add_row(*(Text(line[index[c.field]]) for c in shape.columns))
        console.print(table)


#: What a table spends between two columns (padding and the divider of `box.SIMPLE_HEAD`).
_GAP = 3


def choose_mode(*, json_: bool, jsonl: bool, csv_: bool) -> Mode:
    """The mode the flags ask for; without one, a table on a terminal and TSV otherwise."""
    chosen = [m for m, on in ((Mode.JSON, json_), (Mode.JSONL, jsonl), (Mode.CSV, csv_)) if on]
    if len(chosen) > 1:
        from mpo.core.domain.errors import UsageError

        raise UsageError("output: choose one of --json, --jsonl, --csv")
    if chosen:
        return chosen[0]
    return Mode.TABLE if stdout_is_tty() else Mode.TSV


def message(text: str) -> None:
    """A line for people on stderr (summaries, notes); never part of the data. The commands
    it names carry this run's --db and --profile (`mpo.cli.hints`)."""
    from mpo.cli.hints import complete

    sys.stderr.write(complete(text) + "\n")
