"""Files in, reports in the review queue out: size and type checks, zip expansion, extract, store.

Kept free of Streamlit so the upload page only draws progress; every outcome carries a message a
reviewer can act on (too large, not a report, a scan that needs OCR …).
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from extractor._errors import InputError, XxgkError
from extractor.store import Store

ALLOWED: tuple[str, ...] = (".pdf", ".docx", ".html", ".htm", ".txt")
UPLOAD_TYPES: list[str] = ["pdf", "docx", "html", "htm", "txt", "zip"]
EXTRACTORS: dict[str, str] = {"rules": "规则（表格阅读器，默认）", "hybrid": "规则 + 大模型核对", "llm": "大模型"}
_MAX_ZIP_MEMBERS = 500


def max_bytes() -> int:
    """Per-file limit, ``$XXGK_UI_MAX_MB`` (default 50 MB)."""
    return int(float(os.environ.get("XXGK_UI_MAX_MB", "50")) * 1024 * 1024)


@dataclass
class Outcome:
    name: str
    ok: bool
    message: str
    doc_id: int | None = None
    n_findings: int = 0
    skipped: bool = False


def expand(name: str, data: bytes) -> list[tuple[str, bytes] | Outcome]:
    """A zip becomes its report members (nested folders kept in the name); other files pass through."""
    if PurePosixPath(name).suffix.lower() != ".zip":
        return [(name, data)]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return [Outcome(name, False, "压缩包已损坏，无法打开")]
    out: list[tuple[str, bytes] | Outcome] = []
    members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    if len(members) > _MAX_ZIP_MEMBERS:
        return [Outcome(name, False, f"压缩包内文件过多（{len(members)} 个，上限 {_MAX_ZIP_MEMBERS}）")]
    for info in members:
        member = _decode_name(info)
        label = f"{name} › {member}"
        if PurePosixPath(member).suffix.lower() not in ALLOWED:
            out.append(Outcome(label, False, "不支持的文件类型，已跳过", skipped=True))
        elif info.file_size > max_bytes():
            out.append(Outcome(label, False, _too_large(info.file_size)))
        else:
            out.append((label, zf.read(info)))
    return out


def _decode_name(info: zipfile.ZipInfo) -> str:
    """Zips made on Chinese Windows store GBK names without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _too_large(size: int) -> str:
    return f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {max_bytes() / 1024 / 1024:.0f} MB）"


def ingest(store: Store, name: str, data: bytes, *, extractor: str = "rules", who: str) -> Outcome:
    """Extract one file and put it in the queue; a file already in the store is not extracted again."""
    if len(data) > max_bytes():
        return Outcome(name, False, _too_large(len(data)))
    if PurePosixPath(name).suffix.lower() not in ALLOWED:
        return Outcome(name, False, f"不支持的文件类型（可上传 {'、'.join(UPLOAD_TYPES)}）")
    from hashlib import sha256

    existing = store.find_document(sha256(data).hexdigest())
    if existing is not None:
        latest = store.latest_extraction(existing.id)
        if latest is not None:
            return Outcome(name, True, f"已在库中（{existing.name}），未重复提取", existing.id,
                           latest.n_error + latest.n_warning + latest.n_info, skipped=True)
    from extractor.api import extract

    base = PurePosixPath(name.split(" › ")[-1]).name
    try:
        result = extract(data, name=base, extractor=extractor)
    except InputError as exc:
        return Outcome(name, False, exc.zh + (f"（{exc.detail}）" if exc.detail else ""))
    except XxgkError as exc:
        return Outcome(name, False, f"提取失败：{exc}")
    doc = store.add_document(data, base, who=who)
    store.save_extraction(doc.id, result, created_by=who)
    n = len(result.findings)
    meta = result.meta
    what = "、".join(str(x) for x in (meta.agency, meta.year and f"{meta.year} 年度", meta.template and
                                      f"{meta.template} 模板") if x)
    return Outcome(name, True, f"已提取：{what}；发现 {n} 个问题", doc.id, n)
