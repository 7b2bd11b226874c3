"""The synthetic report generator: determinism, identities, injected errors, renderings, fixtures.

The identity checks below are written out independently of ``evals.gen_values`` / ``evals.gen_inject``:
plain sums over explicit keys, so a generator bug cannot hide behind shared code.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path

import pytest

from evals import generator as gen
from evals.gen_tables import Formatter
from schemas import catalog

TEMPLATES = ("2008", "2019", "2021")
FIXTURE_DIR = Path(__file__).parent / "fixtures" / "generated"
APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
T3_COLS = APPLICANTS + ("总计",)
T4_PARTS = ("维持", "纠正", "其他", "尚未审结")


# --------------------------------------------------------------------------- an independent checker
def _leaves(v: dict) -> list[str]:
    rows = ["予以公开", "部分公开"] + [f"不予公开.{i}" for i in range(1, 9)] + [f"无法提供.{i}" for i in range(1, 4)]
    rows += [f"不予处理.{i}" for i in range(1, 6)]
    if "t3.其他处理.1.总计" in v:
        rows += [f"其他处理.{i}" for i in range(1, 4)]
    else:
        rows += ["其他处理"]
    return rows


def _sum_rule(v: dict, rule: str, total: str, parts: list[str], out: set) -> None:
    """total = Σ parts, blank parts counting 0; a blank total with printed parts is its own finding.

    When every part is blank there is nothing to add up (blank ≠ 0), so no finding either way.
    """
    s = sum(v.get(p) or 0 for p in parts)
    if v.get(total) is not None and all(v.get(p) is None for p in parts):
        return
    if v.get(total) is None:
        if s:
            out.add(("value.blank_total", (total,)))
        return
    if v[total] != s:
        out.add((rule, tuple(sorted([total, *parts]))))


def broken(v: dict, template: str) -> set[tuple[str, tuple[str, ...]]]:
    """Every identity the printed values break, as (rule id, sorted keys of the instance)."""
    out: set = set()
    n = lambda k: v.get(k) or 0
    if template == "2008":
        chans = [f"old.渠道.{c}" for c in ("政府公报", "政府网站", "政务微博", "政务微信", "其他")]
        if v.get("old.主动公开数") is None:
            if sum(n(c) for c in chans):
                out.add(("value.blank_total", ("old.主动公开数",)))
        else:
            if n("old.主动公开数") > sum(n(c) for c in chans):
                out.add(("old.channels_upper", tuple(sorted(["old.主动公开数", *chans]))))
            if n("old.主动公开数") < max(n(c) for c in chans):
                out.add(("O-1.lower", ()))
        sums = {
            "old.applications_sum": ("old.收到申请数", [f"old.申请.{c}" for c in ("当面", "传真", "网络", "信函")]),
            "old.closed_sum": ("old.办结数", ["old.办结.按时", "old.办结.延期"]),
            "old.replies_sum": ("old.答复数", [f"old.答复.{c}" for c in ("已主动公开", "同意公开", "部分公开", "不同意公开",
                                                                       "非本机关", "信息不存在", "更改补充", "其他途径")]),
            "old.refusal_reasons": ("old.答复.不同意公开", [f"old.不同意.{c}" for c in ("国家秘密", "商业秘密", "个人隐私",
                                                                                  "三安全一稳定", "非政府信息", "其他情形")]),
            "old.review_sum": ("old.复议", ["old.复议.维持", "old.复议.纠错", "old.复议.其他"]),
            "old.litigation_sum": ("old.诉讼", ["old.诉讼.维持", "old.诉讼.纠错", "old.诉讼.其他"]),
            "old.staff_sum": ("old.工作人员", ["old.工作人员.专职", "old.工作人员.兼职"]),
            "old.responses_sum": ("old.回应解读总数", [f"old.{c}" for c in ("新闻发布会", "在线访谈", "政策解读稿件",
                                                                         "微博微信回应", "其他方式回应")]),
        }
        for rule, (total, parts) in sums.items():
            _sum_rule(v, rule, total, parts, out)
        if v.get("old.主动公开数") is not None and \
                n("old.主动公开规范性文件数") > min(n("old.主动公开数"), n("old.制发规范性文件总数")):
            out.add(("O-2/O-3", ()))
        for w in ("新闻发布会", "在线访谈"):
            if n(f"old.{w}.主要负责同志") > n(f"old.{w}"):
                out.add(("O-5", (w,)))
        if n("old.培训班数") > n("old.培训人次"):
            out.add(("O-14", ()))
        if v.get("old.回应解读总数") is not None and n("old.回应热点舆情数") > n("old.回应解读总数"):
            out.add(("O-4", ()))
        if n("old.办结数") > n("old.收到申请数") and v.get("old.收到申请数") is not None:
            out.add(("O-10", ()))
        return out
    for c in T3_COLS:
        keys = [f"t3.{r}.{c}" for r in ("本年新收", "上年结转", "办理结果总计", "结转下年度")]
        if any(v.get(k) is None for k in keys):
            continue  # a blank total: reported by the sum rules below
        if n(keys[0]) + n(keys[1]) != n(keys[2]) + n(keys[3]):
            out.add(("t3.balance", tuple(sorted(keys))))
        _sum_rule(v, "t3.results_total", f"t3.办理结果总计.{c}", [f"t3.{r}.{c}" for r in _leaves(v)], out)
        for g, size in (("不予公开", 8), ("无法提供", 3), ("不予处理", 5), ("其他处理", 3)):
            if f"t3.{g}.{c}" in v and f"t3.{g}.1.{c}" in v:
                _sum_rule(v, "T3-3", f"t3.{g}.{c}", [f"t3.{g}.{i}.{c}" for i in range(1, size + 1)], out)
    rows = {k.split(".")[1] if k.count(".") == 2 else ".".join(k.split(".")[1:3]) for k in v if k.startswith("t3.")}
    for r in rows:
        _sum_rule(v, "t3.row_total", f"t3.{r}.总计", [f"t3.{r}.{c}" for c in APPLICANTS], out)
    for g in ("复议", "诉讼未经复议", "诉讼复议后"):
        _sum_rule(v, "t4.group_total", f"t4.{g}.总计", [f"t4.{g}.{c}" for c in T4_PARTS], out)
    if template == "2021":
        for r in ("规章", "行政规范性文件"):
            made, gone, live = (f"t2.{r}.{c}" for c in ("本年制发", "本年废止", "现行有效"))
            if n(live) < n(made) - n(gone):
                out.add(("t2.stock", tuple(sorted([live, made, gone]))))
    else:
        for r in ("规章", "行政规范性文件"):
            if n(f"t2.{r}.对外公开总数") < n(f"t2.{r}.本年新公开"):
                out.add(("t2.stock", tuple(sorted([f"t2.{r}.对外公开总数", f"t2.{r}.本年新公开"]))))
        for k, x in v.items():
            if k.endswith(".本年增减") and x is not None and x < -n(k.replace("本年增减", "上年项目数")):
                out.add(("T2o-2", (k,)))
    return out


def _expected(r: gen.GeneratedReport) -> set:
    return {(f["rule"], tuple(sorted(f["keys"]))) for f in r.expected_findings}


# --------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("template", TEMPLATES)
def test_same_seed_gives_identical_files_and_gold(template: str, tmp_path: Path) -> None:
    a, b = gen.generate(7, template), gen.generate(7, template)
    for layout in gen.LAYOUTS:
        assert gen.render(a, layout) == gen.render(b, layout), layout
        assert gen.gold(a, layout, "x") == gen.gold(b, layout, "x")
    pa, ga = gen.write_case(a, "md", tmp_path / "a")
    pb, gb = gen.write_case(gen.generate(7, template), "md", tmp_path / "b")
    assert pa.read_bytes() == pb.read_bytes() and ga.read_bytes() == gb.read_bytes()


def test_different_seeds_give_different_reports() -> None:
    values = [json.dumps(gen.generate(s, "2021").values, sort_keys=True) for s in range(10)]
    assert len(set(values)) == 10
    agencies = {gen.generate(s, "2019").agency for s in range(20)}
    assert len(agencies) >= 15


# --------------------------------------------------------------------------- identities on clean values
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_identity_holds_on_clean_reports(template: str) -> None:
    seen_big = seen_zero_total = 0
    for seed in range(50):
        r = gen.generate(seed, template)
        assert r.known_inconsistencies == []
        if not r.style.t3_row_totals_blank:
            assert r.expected_findings == []
        # the only findings of a clean report: blank-total warnings its marked blank 总计 column earns
        assert {f["rule"] for f in r.expected_findings} <= {"value.blank_total"}
        assert broken(r.values, template) == _expected(r), (seed, broken(r.values, template))
        for k, x in r.values.items():
            f = catalog.BY_KEY[k]
            if x is None:
                continue
            if f.decimal:
                assert isinstance(x, float) and x >= 0 and round(x, 2) == x, (k, x)
            else:
                assert isinstance(x, int), (k, x)
                assert x >= 0 or f.signed, (k, x)
        big = max((x for x in r.values.values() if x is not None), default=0)
        seen_big += big >= 1000
        seen_zero_total += (r.values.get("t3.本年新收.总计") == 0) or (r.values.get("old.收到申请数") == 0)
    assert seen_big >= 5  # a few large counts
    assert seen_zero_total >= 1  # and agencies that received no application


def test_blanks_zeros_and_negative_changes_occur() -> None:
    reps = [gen.generate(s, t) for s in range(40) for t in TEMPLATES]
    assert any(x is None for r in reps for x in r.values.values())  # blanks
    zeros = sum(1 for r in reps for x in r.values.values() if x == 0)
    assert zeros > sum(len(r.values) for r in reps) * 0.3
    assert any((x or 0) < 0 for r in reps if r.template == "2019" for k, x in r.values.items() if k.endswith("本年增减"))
    fees = [r.values["t2.行政事业性收费.收费金额"] for r in reps if r.template == "2021"]
    assert any(f and f != int(f) for f in fees)


def test_2021_prints_other_handling_as_one_row_or_three() -> None:
    forms = set()
    for seed in range(30):
        v = gen.generate(seed, "2021").values
        one, three = "t3.其他处理.总计" in v, "t3.其他处理.1.总计" in v
        assert one != three or (one and three and "t3.其他处理.自然人" in v)  # three rows (+ optional subtotal)
        forms.add("three" if three else "one")
        if three:
            assert {f"t3.其他处理.{i}.{c}" for i in (1, 2, 3) for c in T3_COLS} <= set(v)
    assert forms == {"one", "three"}
    for seed in range(10):
        assert not any(k.startswith("t3.其他处理.1") for k in gen.generate(seed, "2019").values)


# --------------------------------------------------------------------------- catalog keys
@pytest.mark.parametrize("template", TEMPLATES)
def test_all_keys_are_catalog_keys_of_the_template(template: str) -> None:
    allowed = {f.key for f in catalog.fields_for(template, include_prose_only=True)}
    printed = {f.key for f in catalog.fields_for(template, include_second_column=True)}
    for seed in range(15):
        for inject in (None, "random"):
            r = gen.generate(seed, template, inject=inject)
            assert set(r.values) <= printed
            assert set(r.prose_values) <= allowed
            for f in r.expected_findings:
                assert set(f["keys"]) <= allowed  # type: ignore[arg-type]
    # the required (non-optional) cells are always printed
    required = {f.key for f in catalog.fields_for(template, include_optional=False)}
    assert required <= set(gen.generate(3, template).values)


# --------------------------------------------------------------------------- injected errors
@pytest.mark.parametrize("template", TEMPLATES)
def test_each_injected_identity_breaks_exactly_that_identity(template: str) -> None:
    for name in gen.BREAKABLE[template]:
        rule = gen.RULE_IDS[name]
        for seed in range(30):
            r = gen.generate(seed, template, inject=rule)
            assert r.expected_findings and {f["rule"] for f in r.expected_findings} == {rule}
            assert broken(r.values, template) == _expected(r), (rule, seed)
            assert r.known_inconsistencies
            clean = gen.generate(seed, template)
            cv = clean.values
            big = (cv.get("old.收到申请数") or 0) >= 8 and (cv.get("old.答复数") or 0) >= 2 if template == "2008" \
                else (cv.get("t3.办理结果总计.总计") or 0) >= 8
            if big and not clean.style.t3_row_totals_blank and not clean.style.t4_blank:
                changed = {k for k in clean.values if clean.values[k] != r.values.get(k)}
                assert 1 <= len(changed) <= 4, (rule, changed)  # the same report with one error


@pytest.mark.parametrize("template", TEMPLATES)
def test_injected_prose_error_changes_one_prose_figure(template: str) -> None:
    hits = 0
    for seed in range(12):
        r = gen.generate(seed, template, inject="prose")
        if not r.expected_findings or r.expected_findings[0]["rule"] != "prose.mismatch":
            continue
        hits += 1
        (key,) = r.expected_findings[0]["keys"]  # type: ignore[misc]
        assert broken(r.values, template) == set()
        differs = [k for k, x in r.prose_values.items() if k in r.values and x != r.values[k]]
        assert differs == [key]
        assert str(r.prose_values[key]).rstrip("0").rstrip(".") in _nfkc(gen.render(r, "md").decode())
    assert hits >= 10


@pytest.mark.parametrize("template", TEMPLATES)
def test_injected_blank_total_leaves_exactly_one_required_total_blank(template: str) -> None:
    for seed in range(12):
        r = gen.generate(seed, template, inject="blank")
        assert [f["rule"] for f in r.expected_findings] == ["value.blank_total"]
        (key,) = r.expected_findings[0]["keys"]  # type: ignore[misc]
        assert r.values[key] is None
        assert broken(r.values, template) == _expected(r)
        assert key not in r.prose_values


@pytest.mark.parametrize("template", TEMPLATES)
def test_expected_findings_agree_with_the_validators_on_gold_values(template: str) -> None:
    """The rule ids of rule_ids.py and the validators meet: run extractor.rules on the gold values themselves."""
    from extractor.rules import validate
    from schemas.results import Value

    known = set(gen.RULE_IDS.values())
    for seed in range(20):
        for inject in [None, "prose", "blank"] + [gen.RULE_IDS[n] for n in gen.BREAKABLE[template]]:
            r = gen.generate(seed, template, inject=inject)
            values = {k: Value(key=k, value=v, status="number" if v is not None else "blank")
                      for k, v in r.values.items()}
            prose = {k: Value(key=k, value=v) for k, v in r.prose_values.items()}
            raised = {f.rule for f in validate(values, prose, template=template) if f.category == "report"}
            assert raised & known == {str(f["rule"]) for f in r.expected_findings}, (seed, inject)


def test_unknown_injection_template_and_layout_are_errors() -> None:
    from extractor._errors import XxgkError

    with pytest.raises(XxgkError):
        gen.generate(1, "2008", inject="t3.balance")
    with pytest.raises(XxgkError):
        gen.generate(1, "2030")
    with pytest.raises(XxgkError):
        gen.render(gen.generate(1, "2021"), "rtf")


# --------------------------------------------------------------------------- renderings
def _nfkc(s: str) -> str:
    """Full-width digits back to ASCII (the rest of the text stays as printed)."""
    return "".join(unicodedata.normalize("NFKC", ch) if "０" <= ch <= "９" else ch for ch in s)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_layout_renders_a_valid_file(template: str) -> None:
    import docx
    import pdfplumber

    r = gen.generate(5, template)
    title = f"{r.agency}{r.year}年政府信息公开工作年度报告"
    period = f"本报告中所列数据统计期限自{r.year}年1月1日起至{r.year}年12月31日止"
    for layout in gen.LAYOUTS:
        data = gen.render(r, layout)
        assert data, layout
        if layout == "pdf":
            assert data.startswith(b"%PDF")
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                text = "".join(p.extract_text() or "" for p in pdf.pages)
                tables = [t for p in pdf.pages for t in p.extract_tables()]
            assert _nfkc(title) in _nfkc(text).replace("\n", "")
            assert tables and any("行政复议" in (c or "") or "统计指标" in (c or "") for t in tables for row in t
                                  for c in row)
        elif layout == "docx":
            d = docx.Document(io.BytesIO(data))
            assert title in d.paragraphs[0].text
            assert len(d.tables) == (1 if template == "2008" else 3)
        elif layout == "html":
            charset = re.search(rb"charset=([\w-]+)", data).group(1).decode()  # type: ignore[union-attr]
            text = data.decode(charset)
            assert title in text and "<table" in text
            assert template == "2008" or ("rowspan=" in text and "colspan=" in text)
        else:
            text = _nfkc(data.decode("utf-8"))
            assert title in text.replace("\n", "") or title in text
            assert period in text.replace("\n", "").replace(" ", "")


def test_official_form_grids_are_rectangular() -> None:
    from evals.gen_tables import build_tables

    for template in TEMPLATES:
        for seed in range(25):
            r = gen.generate(seed, template)
            fm = Formatter(r.values, r.style, "html")
            for t in build_tables(template, r.year, r.values, fm).values():
                at = len(t.grid.rows) * 3 // 5  # where the pdf page break cuts the form
                for g in (t.grid, *t.grid.split(at)):
                    cover = [0] * len(g.rows)
                    for row, _col, cell in g.placed():
                        for dr in range(cell.rs):
                            cover[row + dr] += cell.cs
                    assert cover == [g.ncols] * len(g.rows), (template, seed, t.id, cover)
                printed = {c.key for _r, _c, c in t.grid.placed() if c.key}
                assert printed == {k for k in r.values if k.startswith(t.id + ".")}


@pytest.mark.parametrize("template", TEMPLATES)
def test_docx_cells_hold_the_form_values_at_their_grid_positions(template: str) -> None:
    import docx

    from evals.gen_tables import build_tables

    for seed in (1, 2):
        r = gen.generate(seed, template)
        d = docx.Document(io.BytesIO(gen.render(r, "docx")))
        models = list(build_tables(template, r.year, r.values, Formatter(r.values, r.style, "docx")).values())
        assert len(d.tables) == len(models)
        for table, model in zip(d.tables, models):
            for row, col, cell in model.grid.placed():
                assert table.cell(row, col).text == cell.text, (template, model.id, row, col)
                if cell.rs > 1 or cell.cs > 1:  # a merged cell reads the same from its far corner
                    assert table.cell(row + cell.rs - 1, col + cell.cs - 1).text == cell.text


def test_gbk_html_decodes_with_gbk() -> None:
    r = next(gen.generate(s, "2021") for s in range(50) if gen.generate(s, "2021").style.gbk)
    data = gen.render(r, "html")
    assert b'charset=gbk' in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert r.agency in data.decode("gbk")


def _md_rows(md: str) -> dict[str, list[str]]:
    out = {}
    for line in md.splitlines():
        if line.startswith("| ") and "---" not in line:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            out.setdefault(cells[0], cells[1:])
    return out


@pytest.mark.parametrize("template", ("2019", "2021"))
def test_markdown_table_three_prints_the_gold_values(template: str) -> None:
    for seed in range(10):
        r = gen.generate(seed, template)
        rows = _md_rows(_nfkc(gen.render(r, "md").decode()))
        for spec in catalog.rows("t3", template):
            key0 = f"t3.{spec.id}.自然人"
            if key0 not in r.values:
                continue
            label = next(lab for lab in rows if lab == spec.label or (spec.id == "不予公开.2" and "止公开" in lab))
            for c, text in zip(T3_COLS, rows[label]):
                want = r.values[f"t3.{spec.id}.{c}"]
                assert (text.replace(",", "") if want is not None else text) == ("" if want is None else str(want)) \
                    or (want is None and text == "—"), (seed, spec.id, c, text, want)


@pytest.mark.parametrize("template", ("2019", "2021"))
def test_layout_text_rows_carry_the_gold_values_as_separate_tokens(template: str) -> None:
    checked = 0
    for seed in range(40):
        r = gen.generate(seed, template)
        if r.style.wrapped_labels:
            continue
        lines = [ln.strip() for ln in _nfkc(gen.render(r, "layout").decode()).splitlines()]
        fm = Formatter(r.values, r.style, "layout")
        for table, cols in (("t2", None), ("t3", T3_COLS)):
            for spec in catalog.rows(table, template):
                keys = ([f"t2.{spec.id}.{c}" for c in catalog.t2_layout(template).get(spec.id, ())] if cols is None
                        else [f"t3.{spec.id}.{c}" for c in cols])
                if not keys or keys[0] not in r.values:
                    continue
                label = fm.label(spec)
                line = next(ln for ln in lines if ln.startswith(label) or ln.endswith("   " + label)
                            or re.match(r"（[一二三四五六]）\S+\s+" + re.escape(label), ln))
                tokens = line[line.index(label) + len(label):].split()
                want = [fm.value(k, multi=len(keys) > 1) for k in keys]
                assert [_nfkc(t) for t in tokens] == [_nfkc(w) for w in want if w], (seed, label, line)
                checked += 1
    assert checked > 100


def test_old_template_cells_layout_follows_the_seed_shape() -> None:
    r = gen.generate(2, "2008")
    lines = _nfkc(gen.render(r, "cells").decode()).splitlines()
    i = lines.index("（一）收到申请数")
    value = r.values["old.收到申请数"]
    assert lines[i + 1:i + 4] == ["|", "件", "|"]
    assert lines[i + 4:i + 6] == ([str(value), "|"] if value is not None else ["|", "1.当面申请数"])
    assert "政府信息公开情况统计表" in lines and "统计指标" in lines


def test_runtogether_rows_join_label_and_digits() -> None:
    r = next(x for x in (gen.generate(s, "2021") for s in range(40))
             if not x.style.fullwidth_digits and not x.style.blank_dash and not x.style.zeros_blank)
    text = gen.render(r, "runtogether").decode()
    digits = "".join(str(r.values[f"t2.行政规范性文件.{c}"]) for c in ("本年制发", "本年废止", "现行有效"))
    assert f"行政规范性文件{digits}" in text.splitlines()
    row = "".join(str(r.values[f"t3.不予公开.1.{c}"]) for c in T3_COLS)
    assert f"1.属于国家秘密{row}" in text.splitlines()


def test_quirks_show_in_the_rendered_text() -> None:
    reps = [gen.generate(s, "2021") for s in range(60)]
    typo = next(r for r in reps if r.style.label_typo)
    assert "其他法律行政止公开" in gen.render(typo, "md").decode()
    wide = next(r for r in reps if r.style.fullwidth_digits)
    assert re.search("[０-９]", gen.render(wide, "layout").decode())
    assert "fullwidth_digits" in gen.gold(wide, "layout", "x")["quirks"]
    assert "fullwidth_digits" not in gen.gold(wide, "html", "x")["quirks"]
    spaced = next(r for r in reps if r.style.spaced_labels)
    lines = gen.render(spaced, "layout").decode().splitlines()
    assert any(" " in ln.strip() and ln.replace(" ", "") == "三、本年度办理结果" for ln in lines)
    flat = next(r for r in reps if r.style.t4_flat and not r.style.fullwidth_digits and not r.style.blank_dash)
    row = " ".join(str(flat.values[f"t4.{g}.{c}"]) for g in ("复议", "诉讼未经复议", "诉讼复议后")
                   for c in T4_PARTS + ("总计",))
    assert row in [" ".join(ln.split()) for ln in gen.render(flat, "layout").decode().splitlines()]
    wrapped = next(r for r in reps if r.style.wrapped_labels)
    assert "（二）部分公开\n（区分处理的" in gen.render(wrapped, "cells").decode()
    paged = next(r for r in reps if r.style.page_breaks)
    text = gen.render(paged, "layout").decode()
    assert text.count("\f") >= 2 and re.search(r"- [1１] -\f", text)
    assert "page_breaks" in gen.gold(paged, "layout", "x")["quirks"]
    marked = next(r for r in reps if r.style.html_markup and r.style.zeros_blank)
    page = gen.render(marked, "html").decode("gbk" if marked.style.gbk else "utf-8")
    assert "<td>&nbsp;</td>" in page and "<span" in page
    fee = marked.values["t2.行政事业性收费.收费金额"]
    assert fee is None or f">{Formatter(marked.values, marked.style, 'html').number(fee, decimal=True)}</span>" in page


def test_pdf_split_quirk_puts_table_three_on_two_pages() -> None:
    import pdfplumber

    r = next(x for x in (gen.generate(s, "2019") for s in range(40)) if x.style.pdf_table_split)
    with pdfplumber.open(io.BytesIO(gen.render(r, "pdf"))) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
    first = next(i for i, t in enumerate(pages) if "一、本年新收" in t)
    last = next(i for i, t in enumerate(pages) if "四、结转下年度" in t)
    assert last == first + 1
    assert "pdf_table_split" in gen.gold(r, "pdf", "x")["quirks"]


# --------------------------------------------------------------------------- files, dataset, CLI
def test_write_case_writes_source_and_gold_keys_format(tmp_path: Path) -> None:
    r = gen.generate(4, "2021", inject="t3.row_total")
    src, gold_path = gen.write_case(r, "pdf", tmp_path)
    assert src.name == "gen2021-s4-t3.row_total-pdf.pdf" and gold_path.name == "gen2021-s4-t3.row_total-pdf.gold.json"
    g = json.loads(gold_path.read_text(encoding="utf-8"))
    assert g["source"]["file"] == src.name and g["meta"] == {"agency": r.agency, "year": r.year, "template": "2021"}
    assert g["values"] == r.values and g["prose_values"] == r.prose_values
    assert [f["rule"] for f in g["expected_findings"]] == ["t3.row_total", "t3.row_total"]
    assert g["known_inconsistencies"] and isinstance(g["quirks"], list)


def test_generate_dataset_and_cli_write_an_index(tmp_path: Path) -> None:
    index = gen.generate_dataset(tmp_path / "ds", 14, 3, error_rate=0.5)
    lines = (tmp_path / "ds" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 14 and [json.loads(x) for x in lines] == index
    assert {row["layout"] for row in index} == set(gen.LAYOUTS) and {row["template"] for row in index} == set(TEMPLATES)
    assert any(row["inject"] for row in index) and any(not row["inject"] for row in index)
    for row in index:
        assert (tmp_path / "ds" / row["source"]).stat().st_size > 0
        g = json.loads((tmp_path / "ds" / row["gold"]).read_text(encoding="utf-8"))
        assert (g["expected_findings"] == []) == (row["inject"] is None)
    assert gen.main([str(tmp_path / "cli"), "--n", "4", "--seed", "2", "--layouts", "md,cells"]) == 0
    assert len((tmp_path / "cli" / "cases.jsonl").read_text(encoding="utf-8").splitlines()) == 4


def test_committed_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    written = gen.write_fixtures(tmp_path)
    assert len(written) == 12
    for src, gold_path in written:
        for p in (src, gold_path):
            committed = FIXTURE_DIR / p.name
            assert committed.exists(), f"{p.name} missing; run python -m evals.generator {FIXTURE_DIR} --fixtures"
            assert committed.read_bytes() == p.read_bytes(), p.name
    golds = [json.loads((FIXTURE_DIR / g.name).read_text(encoding="utf-8")) for _, g in written]
    assert {g["meta"]["template"] for g in golds} == {"2019", "2021"}
    assert sum(1 for g in golds if g["expected_findings"]) == 4


@pytest.mark.parametrize("kind,template", [("template_year", "2008"), ("template_year", "2019"),
                                           ("template_year", "2021"), ("period_year", "2008"),
                                           ("period_year", "2021"), ("fee_unit", "2021")])
@pytest.mark.parametrize("layout", ["html", "pdf", "runtogether"])
def test_report_level_errors_are_raised_by_the_pipeline_and_absent_from_the_clean_twin(kind: str, template: str,
                                                                                      layout: str) -> None:
    from evals.gen_style import EXTENSIONS
    from extractor.api import extract

    bad = gen.generate(7, template, inject=kind)
    (expected,) = [f["rule"] for f in bad.expected_findings if f["rule"] != "value.blank_total"]
    found = {f.rule for f in extract(gen.render(bad, layout), name=f"x.{EXTENSIONS[layout]}").report_findings()}
    assert expected in found and bad.inject == kind and bad.slug.endswith(kind)
    clean = {f.rule for f in extract(gen.render(gen.generate(7, template), layout), name=f"x.{EXTENSIONS[layout]}").findings}
    assert expected not in clean


def test_report_level_errors_are_drawn_only_when_asked(tmp_path: Path) -> None:
    from evals.generator import INJECT_KINDS, META_INJECT_KINDS

    default = gen.generate_dataset(tmp_path / "a", 42, 3)
    assert {r["inject"] for r in default} - {None} <= set(INJECT_KINDS)
    wider = gen.generate_dataset(tmp_path / "c", 42, 3, kinds=INJECT_KINDS + META_INJECT_KINDS)
    assert {r["inject"] for r in wider} & set(META_INJECT_KINDS)
    assert all(r["inject"] != "fee_unit" or r["template"] == "2021" for r in wider)
    with pytest.raises(gen.GeneratorError, match="2021"):
        gen.generate(7, "2019", inject="fee_unit")
