"""Result types shared by every extractor, the rules, the store, the UI and the exports."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Number = int | float
ValueStatus = Literal["number", "blank", "dash", "slash", "text", "missing"]
Severity = Literal["error", "warning", "info"]
RuleKind = Literal["sum", "inequality", "range", "prose", "metadata", "cross_year", "extraction"]
Agreement = Literal["agreed", "conflict", "rules_only", "llm_only"]


class OcrSource(BaseModel):
    """How a value read by OCR was read: the engine's confidence and the picture to show beside it.

    ``source`` names the image in the file (``page 3`` of a PDF — crop the page at the evidence's
    bbox —, ``word/media/image1.png`` of a DOCX, ``img 2`` of a web page, ``image`` for an upload) and
    ``box`` is the pixel box in it; ``image`` is the sha256 of its pixels. ``readings`` are the
    engine's readings of the cell, best first, with their probabilities.
    """

    model_config = ConfigDict(frozen=True)

    confidence: float
    source: str
    image: str = ""
    box: tuple[int, int, int, int] | None = None
    readings: list[tuple[str, float]] = Field(default_factory=list)


class Evidence(BaseModel):
    """Where a value sits in the source: the grounding of one extraction."""

    model_config = ConfigDict(frozen=True)

    extractor: str = "rules"
    kind: Literal["table", "prose", "flattened", "split", "llm"] = "table"
    page: int | None = None
    start: int = 0  # character offsets into Document.text
    end: int = 0
    text: str = ""  # the printed text of the cell or the sentence matched
    block: int | None = None
    row: int | None = None
    col: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    ocr: OcrSource | None = None  # set when the text was read by OCR: show the crop, mark the value


class Value(BaseModel):
    """One extracted cell. ``raw`` keeps what was printed; blank, "—", "/" and 0 stay distinct."""

    key: str
    value: Number | None = None
    raw: str = ""
    status: ValueStatus = "number"
    unit: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    # a cell held back for a person (no value): the readings to pick from — a row's ambiguous splits, or the
    # one number a model gave that is printed nowhere in the row — and what this cell is in each
    candidates: list[list[Number | None]] = Field(default_factory=list)
    choices: list[Number | None] = Field(default_factory=list)
    grounded: bool = True
    extractor: str = "rules"
    agreement: Agreement | None = None
    other: Number | None = None  # the other extractor's value when they disagree


class Finding(BaseModel):
    """A rule's verdict on a report, or a doubt about the extraction."""

    rule: str
    kind: RuleKind
    category: Literal["report", "extraction"] = "report"
    severity: Severity = "error"
    message: str
    keys: list[str] = Field(default_factory=list)
    expected: Number | str | None = None
    actual: Number | str | None = None
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)


class ReportMeta(BaseModel):
    agency: str | None = None
    year: int | None = None
    template: Literal["2008", "2019", "2021"] | None = None
    table_form: str | None = None  # the old table: "national" or a province's shorter "provincial" table
    title: str | None = None
    title_year: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    published: date | None = None
    sections: list[str] = Field(default_factory=list)  # the 一…六 headings found
    fee_statement: str | None = None  # the sentence on 信息处理费, when present
    template_evidence: list[str] = Field(default_factory=list)


class CallUsage(BaseModel):
    """One model call: what it asked for, what it took and cost (kept with the result for audit)."""

    purpose: str = "read"  # read | reread
    label: str = ""
    completions: int = 0  # raw completions, validation re-asks included
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    cached: bool = False
    error: str | None = None


class Usage(BaseModel):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cached_calls: int = 0
    seconds: float = 0.0
    per_call: list[CallUsage] = Field(default_factory=list)

    def add(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost=self.cost + other.cost,
            cached_calls=self.cached_calls + other.cached_calls,
            seconds=self.seconds + other.seconds,
            per_call=[*self.per_call, *other.per_call],
        )


class Extraction(BaseModel):
    """What one extractor returns for one document."""

    extractor: str
    model: str | None = None
    template: Literal["2008", "2019", "2021"] | None = None
    values: dict[str, Value] = Field(default_factory=dict)
    prose_values: dict[str, Value] = Field(default_factory=dict)
    doubts: list[Finding] = Field(default_factory=list)  # extraction findings
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0

    def flat(self) -> dict[str, Number | None]:
        """{key: value}; a value the reader could not decide (candidates for a person) is left out."""
        return {k: v.value for k, v in self.values.items() if v.status != "text"}


class DocumentInfo(BaseModel):
    name: str = ""
    sha256: str = ""
    type: str = ""
    size: int = 0
    pages: int | None = None
    layout: str = ""
    ocr_pages: int = 0  # pages (or pictures) read by OCR
    text_sketch: list[int] = Field(default_factory=list)  # of the narrative (extractor/sketch.py): finds copied reports


class Result(BaseModel):
    """The whole answer for one report: values with evidence, findings, usage."""

    schema_version: int = 1
    document: DocumentInfo = Field(default_factory=DocumentInfo)
    meta: ReportMeta = Field(default_factory=ReportMeta)
    extractor: str = "rules"
    model: str | None = None
    values: dict[str, Value] = Field(default_factory=dict)
    prose_values: dict[str, Value] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0

    @property
    def template(self) -> str | None:
        return self.meta.template

    def flat(self) -> dict[str, Number | None]:
        """{key: value} for every table value, the form gold files and score.py use.

        A value the reader could not decide (run-together digits that several splits fit, shown to a
        person with its candidates) is left out: missing, not a blank.
        """
        return {k: v.value for k, v in self.values.items() if v.status != "text"}

    def with_values(self, current: dict[str, Number | None]) -> Result:
        """This result with a reviewer's values (the store's current values) in place of the extracted ones.

        An unchanged value keeps its evidence; a changed one keeps where it was read and becomes the
        edited number, or blank when cleared.
        """
        values: dict[str, Value] = {}
        for key in {*self.values, *current}:
            v = self.values.get(key)
            new = current.get(key, v.value if v else None)
            if v is not None and new == v.value and (new is None) == (v.value is None):
                values[key] = v
                continue
            base = v or Value(key=key)
            values[key] = base.model_copy(update={"value": new, "status": "number" if new is not None else "blank",
                                                  "raw": "" if new is None else str(new)})
        return self.model_copy(update={"values": values})

    def report_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.category == "report"]

    def extraction_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.category == "extraction"]
