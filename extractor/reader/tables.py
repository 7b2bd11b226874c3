"""The table reader: printed rows matched to catalog keys by their labels.

Each template table has a small reader over the document's row records (see ``rows.py``):
table 二 by row label and the template's column layout, table 三 as a walk down its 25 rows that
tolerates wrapped labels, numbers printed on their own line and group labels floating between
items, table 四 from its flattened 15-cell row or from three labelled rows, and the old
统计表 by label within its numbered parts. Values keep their printed text and their cell as
evidence; doubts about the reading are returned as extraction findings, never guessed away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.document import Cell, squash
from extractor.reader import split as splitter
from extractor.reader.labels import Match, best_match, core, enumerator, score_label
from extractor.reader.numbers import parse_cell
from extractor.reader.rows import Row, strip_unit
from schemas import catalog
from schemas.catalog import RowSpec
from schemas.results import Evidence, Finding, Value

T3_COLS = tuple(c.id for c in catalog.columns("t3"))
T4_KEYS = tuple(f"t4.{r.id}.{c.id}" for r in catalog.rows("t4") for c in catalog.columns("t4"))


def evidence(cell: Cell, kind: str = "table") -> Evidence:
    return Evidence(
        kind=kind,  # type: ignore[arg-type]
        page=cell.span.page,
        start=cell.span.start,
        end=cell.span.end,
        text=cell.text,
        row=cell.row,
        col=cell.col,
        bbox=cell.span.bbox,
    )


@dataclass
class Reading:
    """What the readers found: values by key, and doubts about the reading."""

    template: str
    values: dict[str, Value] = field(default_factory=dict)
    doubts: list[Finding] = field(default_factory=list)

    def put_cell(self, key: str, cell: Cell, kind: str = "table") -> None:
        if key in self.values:
            return
        spec = catalog.BY_KEY.get(key)
        cn = parse_cell(cell.text)
        self.values[key] = Value(
            key=key,
            value=cn.value,
            raw=cell.text,
            status=cn.status,  # type: ignore[arg-type]
            unit=cn.unit or (spec.unit if spec else None),
            evidence=[evidence(cell, kind)],
        )

    def put_split(self, keys: list[str], cell: Cell, digits: str, candidates: list[list[int | float | None]],
                  label: str) -> None:
        """Values read from run-together digits: one candidate stands; several go to a person."""
        if len(candidates) == 1:
            for key, num in zip(keys, candidates[0]):
                if key not in self.values:
                    self.values[key] = Value(key=key, value=num, raw="—" if num is None else str(num),
                                             status="dash" if num is None else "number",
                                             unit=catalog.BY_KEY[key].unit, evidence=[evidence(cell, "split")])
            return
        for i, key in enumerate(keys):
            if key in self.values:
                continue
            options = {c[i] for c in candidates}
            only = next(iter(options)) if len(options) == 1 else None
            self.values[key] = Value(
                key=key,
                value=only,
                raw=digits,
                status=("number" if only is not None else "dash") if len(options) == 1 else "text",
                unit=catalog.BY_KEY[key].unit,
                evidence=[evidence(cell, "split")],
                candidates=[list(c) for c in candidates[:50]],
            )
        message = (f"“{label}”一行的数字连在一起（{digits}），有 {len(candidates)} 种拆分都符合表内勾稽关系，"
                   "需要人工确认" if candidates else
                   f"“{label}”一行的数字连在一起（{digits}），没有一种拆分符合表内勾稽关系，需要人工确认")
        self.doubts.append(Finding(
            rule="extract.ambiguous_split", kind="extraction", category="extraction", severity="warning",
            message=message, keys=keys, actual=digits,
            evidence={k: [evidence(cell, "split")] for k in keys},
            detail={"candidates": [list(c) for c in candidates[:50]], "count": len(candidates)},
        ))

    def doubt(self, rule: str, message: str, keys: list[str] | None = None, cell: Cell | None = None,
              severity: str = "warning", **detail) -> None:
        ev = {k: [evidence(cell)] for k in (keys or [])} if cell else {}
        self.doubts.append(Finding(rule=rule, kind="extraction", category="extraction",
                                   severity=severity, message=message, keys=keys or [],  # type: ignore[arg-type]
                                   evidence=ev, detail=detail))


# ----------------------------------------------------------------------------- shared helpers
def _number_slots(row: Row) -> list[Cell]:
    return [c for c in row.values if parse_cell(c.text).status != "text"]


def _match_cells(row: Row, candidates: list[RowSpec], minimum: float = 0.75) -> Match | None:
    """Match a row by its label cells, most specific (rightmost) first, then all of them joined."""
    best: Match | None = None
    for cell in reversed(row.label_cells):
        m = best_match(cell.text, candidates, minimum=minimum)
        if m and (best is None or m.score > best.score):
            best = m
            if m.how == "exact":
                break
    if row.digits is not None or len(row.label_cells) > 1 or not row.label_cells:
        m = best_match(strip_unit(row.label), candidates, minimum=minimum)
        if m and (best is None or m.score > best.score):
            best = m
    return best


# ----------------------------------------------------------------------------- table 二
def read_t2(rows: list[Row], reading: Reading, prose: dict[str, Value]) -> None:
    layout = catalog.t2_layout(reading.template)
    specs = [r for r in catalog.rows("t2", reading.template)]
    for row in rows:
        if not row.label or len(core(row.label)) > 40:
            continue
        m = _match_cells(row, specs, minimum=0.85)
        if not m:
            continue
        cols = layout[m.row.id]
        keys = [f"t2.{m.row.id}.{c}" for c in cols]
        if all(k in reading.values for k in keys):
            continue
        slots = _number_slots(row)
        if row.digits is None and len(slots) == 1 and len(cols) > 1 and parse_cell(slots[0].text).status == "number":
            row.digits, row.digits_cell = re.sub(r"\s+", "", slots[0].text), slots[0]  # cells ran together
        if row.digits is not None and row.digits_cell is not None:
            _split_t2(keys, row, reading, prose)
        elif not slots and row.label_cells:
            for key in keys:  # the row is printed, its value cells are not: blanks
                if key not in reading.values:
                    reading.values[key] = Value(key=key, value=None, raw="", status="blank",
                                                unit=catalog.BY_KEY[key].unit, evidence=[evidence(row.label_cells[0])])
        elif len(slots) >= len(cols):
            for key, cell in zip(keys, slots[-len(cols):]):
                reading.put_cell(key, cell)
        elif slots:
            reading.doubt("extract.value_count",
                          f"表二“{m.row.label}”一行应有 {len(cols)} 个数值，只读到 {len(slots)} 个", keys,
                          slots[0], expected=len(cols), found=len(slots))


def read_t2_blank_lines(paragraphs: list, reading: Reading) -> None:
    """A table-二 row whose value is blank prints as its bare label in layout text, which reads as a
    short paragraph: record its cells as blanks when no table row named it."""
    layout = catalog.t2_layout(reading.template)
    specs = list(catalog.rows("t2", reading.template))
    for p in paragraphs:
        text = core(p.text)
        if not text or len(text) > 12:
            continue
        spec = next((r for r in specs if core(r.label) == text), None)
        if spec is None:
            continue
        keys = [f"t2.{spec.id}.{c}" for c in layout[spec.id]]
        if any(k in reading.values for k in keys):
            continue
        for key in keys:
            reading.values[key] = Value(key=key, value=None, raw="", status="blank", unit=catalog.BY_KEY[key].unit,
                                        evidence=[Evidence(kind="table", page=p.span.page, start=p.span.start,
                                                           end=p.span.end, text=p.text)])


def _split_t2(keys: list[str], row: Row, reading: Reading, prose: dict[str, Value]) -> None:
    n = len(keys)
    decimal = catalog.BY_KEY[keys[-1]].decimal
    constraint = None
    if n == 3 and reading.template == "2021":
        constraint = splitter.stock_at_least_change
    elif n == 3 and keys[0].endswith("本年新制作"):
        def constraint(nums):  # 对外公开总数 ≥ 本年新公开
            return (nums[2] or 0) >= (nums[1] or 0)
    signed = tuple(catalog.BY_KEY[k].signed for k in keys)
    cands = splitter.splits_mixed(row.digits or "", n, constraint, decimal_last=decimal, signed=signed)
    # a figure the prose restates settles a split the identities leave open
    for i, key in enumerate(keys):
        if key in prose and len(cands) > 1:
            narrowed = [c for c in cands if c[i] == prose[key].value]
            if narrowed:
                cands = narrowed
    reading.put_split(keys, row.digits_cell, row.digits or "", cands, row.label)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- table 三
_T3_HEADER_WORDS = ("自然人", "商业企业", "申请人情况", "法人或其他组织")


def read_t3(rows: list[Row], reading: Reading) -> None:
    template = reading.template
    order = [r for r in catalog.rows("t3", template) if not r.header_only]
    groups = {r.id for r in order if r.subtotal}
    headers = [r for r in catalog.rows("t3", template) if r.header_only]
    start = next((i for i, r in enumerate(rows)
                  if r.label and (m := _match_cells(r, order[:1], 0.8)) and m.row.id == "本年新收"), None)
    if start is None:
        start = next((i for i, r in enumerate(rows) if any(w in squash(r.label) for w in _T3_HEADER_WORDS)), None)
    if start is None:
        reading.doubt("extract.table_missing", "没有找到表三（收到和处理政府信息公开申请情况）",
                      severity="error", table="t3")
        return
    pos = 0
    pending: list[str] = []  # label text of lines still waiting for their numbers
    for row in rows[start:]:
        if pos >= len(order):
            break
        label = squash(row.label)
        if label and ("行政复议" in label or "行政诉讼" in label) and not _match_cells(row, order, 0.8):
            break
        slots = _number_slots(row)
        numbered = [c for c in slots if parse_cell(c.text).status == "number"]
        if row.digits is not None:
            m = _match_cells(row, order, 0.75) or _pending_match(pending, order, pos)
            target = m.row if m else order[pos]
            keys = [f"t3.{target.id}.{c}" for c in T3_COLS]
            cands = splitter.splits_mixed(row.digits, 7, splitter.total_is_sum)
            reading.put_split(keys, row.digits_cell, row.digits, cands, row.label)  # type: ignore[arg-type]
            pos = order.index(target) + 1
            pending = []
            continue
        if row.label_cells and len(slots) >= 7 and numbered:
            m = _match_cells(row, order, 0.75) or _pending_match(pending + [row.label], order, pos)
            if m is None:
                target = order[pos]
                reading.doubt("extract.label_unrecognised",
                              f"表三有一行标签“{row.label}”无法识别，按顺序作为“{target.label}”读取",
                              [f"t3.{target.id}.{c}" for c in T3_COLS], row.label_cells[0])
            else:
                target = m.row
            _put_t3(reading, target, slots[-7:])
            pos = order.index(target) + 1
            pending = []
            continue
        if not row.label_cells and len(slots) >= 7 and numbered:
            m = _pending_match(pending, order, pos)
            target = m.row if m else order[pos]
            if m is None:
                reading.doubt("extract.label_unrecognised",
                              f"表三有一行数字没有可识别的标签，按顺序作为“{target.label}”读取",
                              [f"t3.{target.id}.{c}" for c in T3_COLS], slots[0])
            _put_t3(reading, target, slots[-7:])
            pos = order.index(target) + 1
            pending = []
            continue
        if row.label_cells:
            if best_match(row.label, headers, minimum=0.8):
                continue
            m = _match_cells(row, order, 0.8)
            last = best_match(row.label_cells[-1].text, order, minimum=0.75) if len(row.label_cells) > 1 else None
            if m and m.row.id in groups and not any(c.text.strip() for c in slots) \
                    and not (last and last.row.id not in groups):
                continue  # a group label (printed once for its items, often between them)
            if m and len(slots) >= 7:  # a printed row whose cells are all blank
                _put_t3(reading, m.row, slots[-7:])
                pos = order.index(m.row) + 1
                pending = []
                continue
            # an item label may share its line with its group's label ("（六）其他处理  1.申请人…")
            cells = [c.text for c in row.label_cells]
            while len(cells) > 1 and (g := best_match(cells[0], order + headers, minimum=0.9)) \
                    and (g.row.id in groups or g.row.header_only):
                cells = cells[1:]
            if cells != [c.text for c in row.label_cells]:
                pending = []
            pending.append(" ".join(cells))
    _resolve_t3_splits(reading)
    _check_t3_complete(reading)


def _resolve_t3_splits(reading: Reading) -> None:
    """Settle run-together rows whose splits the row total left open by the column identities.

    Only a single combination satisfying every column's （七）总计 and 收支平衡 identity is accepted;
    otherwise the candidates stay for a person.
    """
    ambiguous: dict[str, list[list[int | float]]] = {}
    for key, v in reading.values.items():
        if key.startswith("t3.") and v.candidates and v.value is None:
            row = key.rsplit(".", 1)[0]
            ambiguous.setdefault(row, v.candidates)
    if not ambiguous:
        return
    rows = list(ambiguous)
    total = 1
    for r in rows:
        total *= len(ambiguous[r])
    if total > 20000:
        return
    from itertools import product

    from extractor.rules import validate

    fits = []
    for combo in product(*(ambiguous[r] for r in rows)):
        trial = dict(reading.values)
        for r, nums in zip(rows, combo):
            for col, num in zip(T3_COLS, nums):
                key = f"{r}.{col}"
                trial[key] = reading.values[key].model_copy(
                    update={"value": num, "status": "number" if num is not None else "dash"})
        bad = [f for f in validate(trial, template=reading.template)
               if f.rule in ("t3.results_total", "t3.balance", "t3.group_subtotal")]
        if not bad:
            fits.append(combo)
            if len(fits) > 1:
                return
    if len(fits) != 1:
        return
    for r, nums in zip(rows, fits[0]):
        for col, num in zip(T3_COLS, nums):
            key = f"{r}.{col}"
            reading.values[key] = reading.values[key].model_copy(
                update={"value": num, "status": "number" if num is not None else "dash",
                        "raw": "—" if num is None else str(num), "candidates": []})
    settled = set(rows)
    reading.doubts = [d for d in reading.doubts
                      if not (d.rule == "extract.ambiguous_split" and d.keys and d.keys[0].rsplit(".", 1)[0] in settled)]


def _pending_match(pending: list[str], order: list[RowSpec], pos: int) -> Match | None:
    """The row a label broken over several lines names: try the pieces, newest first, then joined."""
    if not pending:
        return None
    tries = list(reversed(pending))
    tries.append("".join(pending))
    tries.append("".join(pending[-2:]))
    best: Match | None = None
    for t in tries:
        m = best_match(t, order[pos:] or order, minimum=0.75)
        if m and (best is None or m.score > best.score):
            best = m
    return best


def _put_t3(reading: Reading, row: RowSpec, cells: list[Cell]) -> None:
    for col, cell in zip(T3_COLS, cells):
        reading.put_cell(f"t3.{row.id}.{col}", cell)


def _check_t3_complete(reading: Reading) -> None:
    missing = [f.key for f in catalog.fields_for(reading.template, include_optional=False)
               if f.table == "t3" and f.key not in reading.values]
    if reading.template == "2021":
        split_form = any(k.startswith("t3.其他处理.1.") for k in reading.values)
        if split_form:
            missing = [k for k in missing if not k.startswith("t3.其他处理.") or k.count(".") == 3]
    if missing:
        reading.doubt("extract.missing", f"表三有 {len(missing)} 个单元格没有读到", missing[:50],
                      severity="warning", count=len(missing))


# ----------------------------------------------------------------------------- table 四
def read_t4(rows: list[Row], reading: Reading) -> None:
    after_header = False
    for row in rows:
        label = squash(row.label)
        if "行政复议" in label or "复议后起诉" in label or "结转下年度" in label:
            after_header = True  # table 四 follows table 三 when its header is not printed as table rows
        slots = _number_slots(row)
        numbered = [c for c in slots if parse_cell(c.text).status == "number"]
        if len(slots) >= 15 and len(numbered) >= 10 and (after_header or not row.label_cells):
            for key, cell in zip(T4_KEYS, slots[-15:]):
                reading.put_cell(key, cell, "flattened")
            return
        digits, cell = row.digits, row.digits_cell
        if digits is None and len(slots) == 1 and len(numbered) == 1 and len(slots[0].text.strip()) >= 15:
            digits, cell = slots[0].text.strip(), slots[0]  # fifteen cells printed as one number
        lone = [c for c in row.label_cells + row.values if c.text.strip()]
        if digits is None and len(lone) == 1 and re.fullmatch(r"[\d—]{15,}", lone[0].text.strip()):
            digits, cell = lone[0].text.strip(), lone[0]  # …with blanks printed as —
        if after_header and digits is not None and cell is not None and len(digits) >= 15 and re.fullmatch(
                r"[\d—]+", digits):
            cands = splitter.splits_mixed(digits, 15, splitter.groups_total_is_sum(5), max_len=5)
            reading.put_split(list(T4_KEYS), cell, digits, cands, "行政复议、行政诉讼")
            return
    # three labelled rows of five
    specs = list(catalog.rows("t4"))
    found = 0
    for row in rows:
        if not row.label_cells:
            continue
        m = _match_cells(row, specs, 0.85)
        if not m:
            continue
        keys = [f"t4.{m.row.id}.{c.id}" for c in catalog.columns("t4")]
        slots = _number_slots(row)
        if len(slots) >= 5:
            for key, cell in zip(keys, slots[-5:]):
                reading.put_cell(key, cell)
            found += 1
        elif row.digits is not None:
            cands = splitter.splits_mixed(row.digits, 5, splitter.total_is_sum)
            reading.put_split(keys, row.digits_cell, row.digits, cands, row.label)  # type: ignore[arg-type]
            found += 1
    if not found:
        reading.doubt("extract.table_missing", "没有找到表四（行政复议、行政诉讼情况）", severity="error", table="t4")


# ----------------------------------------------------------------------------- old 统计表
_OLD_VALUE_HEADERS = ("统计数", "本年", "数量", "数值", "本期", "年度")
_CN_NUM = "一二三四五六七八九"


def read_old(rows: list[Row], reading: Reading) -> None:
    """The old 统计表, row by row within its numbered parts.

    Labels wrapped over lines are common in layout text: a recognised label printed without its
    value waits for the value on a following continuation line, and unrecognised label fragments
    are joined with the next line before matching.
    """
    specs = [r for r in catalog.rows("old")]
    value_col: int | None = None
    second_col: int | None = None
    section = ""
    matched = 0
    waiting: tuple[str, RowSpec, Row, float, str] | None = None  # a label whose value is on a following line
    fragments: list[str] = []  # unrecognised label pieces, for joining with the next line

    def settle_waiting() -> None:
        nonlocal waiting
        if waiting is not None:
            key, spec, row, _, _ = waiting
            if key not in reading.values:
                reading.values[key] = Value(key=key, value=None, raw="", status="blank", unit=spec.unit,
                                            evidence=[evidence(row.label_cells[0])])
            waiting = None

    for row in rows:
        texts = [squash(t) for t in row.texts]
        if "统计指标" in texts or ("单位" in texts and any(h in t for t in texts for h in _OLD_VALUE_HEADERS)):
            for i, t in enumerate(texts):
                if "累计" in t:
                    second_col = i
                elif any(h in t for h in _OLD_VALUE_HEADERS) and value_col is None:
                    value_col = i
            continue
        if not row.label_cells:
            continue
        enum = enumerator(row.label_cells[0].text)
        if enum and enum[0] in _CN_NUM and not enum.startswith(("(", "（")):
            section = enum[0]
        m = _old_match(row, specs, section, reading.values)
        has_value = row.digits is not None or _old_value_cell(row, value_col, second_col) is not None
        if waiting is not None and not enum:
            # a line that continues the waiting label: the joined label names the row better
            wkey, wspec, wrow, wscore, wtext = waiting
            joined = _old_match_text(wtext + strip_unit(row.label), specs, section)
            if joined and joined.score > wscore + 1e-9 and (m is None or joined.score >= m.score):
                waiting = None
                key = f"old.{joined.row.id}"
                if has_value:
                    _put_old(reading, key, joined.row, row, value_col, second_col)
                    matched += 1
                else:
                    waiting = (key, joined.row, wrow, joined.score, wtext + strip_unit(row.label))
                continue
        if fragments:
            joined = _old_match_text("".join(fragments) + strip_unit(row.label), specs, section)
            if joined and (m is None or joined.score > m.score):
                m = joined
        if m is not None and waiting is not None and has_value and f"old.{m.row.id}" in reading.values \
                and m.row != waiting[1]:
            m = None  # a line naming a row already read continues the label that waits for its value
        if m is None:
            if has_value and waiting is not None:
                key, spec = waiting[0], waiting[1]
                waiting = None
                _put_old(reading, key, spec, row, value_col, second_col)
                matched += 1
            elif not has_value:
                fragments.append(strip_unit(row.label))
            elif row.has_numbers and matched:
                reading.doubt("extract.label_unrecognised", f"统计表中的“{row.label}”一行无法对应到字段",
                              cell=row.label_cells[0], severity="info", label=row.label)
            continue
        fragments = []
        spec = m.row
        section = spec.section or section
        if waiting is not None and waiting[1] == spec:
            waiting = None  # the continuation line names the same row again
        settle_waiting()
        if spec.header_only:
            continue
        matched += 1
        key = f"old.{spec.id}"
        only_label = len(row.label_cells) == 1 and not any(c.text.strip() for c in row.values)
        if not has_value and (only_label or m.how != "exact"):
            # the value (or the rest of the label) may follow on the next line
            waiting = (key, spec, row, m.score, strip_unit(row.label))
            continue
        _put_old(reading, key, spec, row, value_col, second_col)
    settle_waiting()
    if not matched:
        reading.doubt("extract.table_missing", "没有找到政府信息公开情况统计表", severity="error", table="old")
        return
    missing = [f.key for f in catalog.fields_for("2008", include_optional=False) if f.key not in reading.values]
    if missing:
        reading.doubt("extract.missing", f"统计表有 {len(missing)} 行没有读到", missing, severity="info",
                      count=len(missing))


def _put_old(reading: Reading, key: str, spec: RowSpec, row: Row, value_col: int | None,
             second_col: int | None) -> None:
    if row.digits is not None and row.digits_cell is not None:
        cn = parse_cell(row.digits)
        if key not in reading.values and cn.status in ("number", "dash"):
            reading.values[key] = Value(key=key, value=cn.value, raw=row.digits, status=cn.status,  # type: ignore[arg-type]
                                        unit=spec.unit, evidence=[evidence(row.digits_cell, "split")])
        return
    cell = _old_value_cell(row, value_col, second_col)
    if cell is None:  # the row is printed but its value cell is not: a blank
        if key not in reading.values:
            reading.values[key] = Value(key=key, value=None, raw="", status="blank", unit=spec.unit,
                                        evidence=[evidence(row.label_cells[0])])
        return
    reading.put_cell(key, cell)
    if second_col is not None:
        second = _cell_at(row, second_col)
        if second is not None:
            reading.put_cell(f"{key}.历年累计", second)


def _old_scored(text: str, specs: list[RowSpec], section: str, filled: dict | None = None
                ) -> tuple[Match | None, float]:
    """The best old-table row for one label text, and its score with the context bonuses."""
    best: Match | None = None
    best_score = 0.0
    for spec in specs:
        m = score_label(text, spec)
        if not m or m.score < 0.75:
            continue
        score = m.score + (0.05 if spec.section == section else 0.0)
        if filled is not None and f"old.{spec.id}" in filled:
            score -= 0.04
        if score > best_score + 1e-9:
            best, best_score = m, score
    return best, best_score


def _old_match_text(text: str, specs: list[RowSpec], section: str) -> Match | None:
    return _old_scored(text, specs, section)[0]


def _old_match(row: Row, specs: list[RowSpec], section: str, filled: dict | None = None) -> Match | None:
    """Best old-table row for a label; among equal labels the one in the current numbered part wins,
    then one not read yet (a truncated "其中：主要负责同志参" names the row still open)."""
    best: Match | None = None
    best_score = 0.0
    labels = [c.text for c in reversed(row.label_cells)] + ([strip_unit(row.label)] if row.digits else [])
    for text in labels:
        m, score = _old_scored(text, specs, section, filled)
        if m is not None and score > best_score + 1e-9:
            best, best_score = m, score
    return best


def _cell_at(row: Row, col: int) -> Cell | None:
    for c in row.table.rows[row.index]:
        if c.col == col and not c.covered:
            return c
    return None


def _old_value_cell(row: Row, value_col: int | None, second_col: int | None) -> Cell | None:
    if value_col is not None:
        c = _cell_at(row, value_col)
        if c is not None and parse_cell(c.text).status != "text":
            return c
    slots = [c for c in row.values if not c.covered]
    if second_col is not None and len(slots) >= 2:
        return slots[-2]
    if slots:
        return slots[-1]
    return None
