"""The package's exception tree.

XxgkError                      root: catch this to catch everything xxgk raises
 ├── InputError                the input cannot be read as a report (carries zh + en messages)
 │    ├── EmptyInputError
 │    ├── UnsupportedFormatError
 │    ├── CorruptFileError
 │    ├── EncryptedFileError
 │    ├── ImageOnlyError       a PDF without a text layer: needs OCR
 │    ├── DecodingError
 │    ├── TooLargeError        over a budget of extractor.settings.Limits (names the setting)
 │    ├── NotARegularFileError a device, FIFO, socket, /proc file or a link out of the input folder
 │    └── NotAReportError
 ├── ConfigError               bad settings (LLM endpoint, database URL …)
 └── BackendError              an extractor backend failed (LLM endpoint down, bad answer …)
"""

from __future__ import annotations


class XxgkError(Exception):
    """Root of every error xxgk raises on purpose."""


class InputError(XxgkError):
    """An input file that cannot be turned into a report; says why in Chinese and English."""

    zh: str = "无法读取文件"
    en: str = "cannot read the file"

    def __init__(self, detail: str = "", *, zh: str | None = None, en: str | None = None) -> None:
        if zh is not None:
            self.zh = zh
        if en is not None:
            self.en = en
        self.detail = detail
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message users see: Chinese, then English, then the detail."""
        tail = f" ({self.detail})" if self.detail else ""
        return f"{self.zh} / {self.en}{tail}"


class EmptyInputError(InputError):
    zh = "文件为空"
    en = "the file is empty"


class UnsupportedFormatError(InputError):
    zh = "不支持的文件格式"
    en = "unsupported file format"


class CorruptFileError(InputError):
    zh = "文件已损坏，无法解析"
    en = "the file is corrupt and cannot be parsed"


class EncryptedFileError(InputError):
    zh = "PDF 已加密，请先解除密码保护"
    en = "the PDF is encrypted; remove the password protection first"


class ImageOnlyError(InputError):
    zh = "PDF 没有文字层（扫描件），需要先做 OCR，例如 `ocrmypdf -l chi_sim 输入.pdf 输出.pdf`"
    en = "the PDF has no text layer (a scan); run OCR first, e.g. `ocrmypdf -l chi_sim in.pdf out.pdf`"


class DecodingError(InputError):
    zh = "无法识别文本编码"
    en = "cannot decode the text (unknown encoding)"


class TooLargeError(InputError):
    zh = "文件过大"
    en = "the file is too large"


class NotARegularFileError(InputError):
    zh = "不是普通文件（设备、管道、/proc 或指向输入文件夹之外的链接），不予读取"
    en = "not a regular file (a device, FIFO, /proc or a link out of the input folder): not read"


class NotAReportError(InputError):
    zh = "不是政府信息公开工作年度报告"
    en = "not a government information-disclosure annual report"


class ConfigError(XxgkError):
    """Settings that cannot work (missing model name, bad URL …)."""


class BackendError(XxgkError):
    """An extractor backend failed; the message says which and why."""
