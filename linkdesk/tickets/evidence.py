"""Evidence on a ticket: the new host's ICP filing number (ICP备案号) and attached documents.

Plain rules, no Flask: what an ICP filing number looks like and when one is needed, and
whether an uploaded file is acceptable — typed by its first bytes (magic numbers), never by
its name or by what the browser claims.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

# The one-character abbreviations the MIIT filing system uses for the 31 provinces.
ICP_PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔滇藏陕甘青宁新"
ICP_NUMBER = re.compile(rf"^[{ICP_PROVINCES}]ICP备\d{{4,12}}号(-\d{{1,4}})?$")
ICP_EXAMPLE = "豫ICP备12345678号-1"

MEGABYTE = 1024 * 1024
# Magic numbers of the accepted types (file signatures), and the name each type is shown by.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
TYPE_LABELS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}
MAX_FILENAME_LENGTH = 120


def normalize_icp(text: str | None) -> str:
    """The number as people type it, made comparable: full-width forms and case folded
    (``豫icp备１２３４５６７８号－１`` becomes ``豫ICP备12345678号-1``), spaces dropped."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", "", text).replace("icp", "ICP").replace("Icp", "ICP")
    return text.replace("—", "-").replace("－", "-").replace("‐", "-")


def icp_problem(number: str) -> str | None:
    """Why a (normalized) ICP filing number is malformed, or None when it reads well."""
    if ICP_NUMBER.match(number):
        return None
    return (
        f"ICP 备案号格式不正确，应为省份简称 + ICP备 + 数字 + 号，可带 -序号，例如 {ICP_EXAMPLE}"
        "（可在工业和信息化部政务服务平台 beian.miit.gov.cn 查询）。"
    )


def sniff_type(data: bytes) -> str | None:
    """The content type the file's first bytes prove, or None for anything else."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def clean_filename(name: str | None, content_type: str) -> str:
    """A name safe to store and to offer back: no path, no control or reserved characters,
    bounded, and ending in an extension of the type the bytes proved (a PDF named ``x.png``
    is kept as ``x.png.pdf``)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*;')
    name = name.strip(" .")[:MAX_FILENAME_LENGTH] or "附件"
    if not name.lower().endswith(EXTENSIONS[content_type]):
        name += EXTENSIONS[content_type][0]
    return name


@dataclass
class Upload:
    """A file as received: the name the client gave and its bytes (already bounded by the caller)."""

    filename: str
    data: bytes


@dataclass
class CheckedFile:
    """An accepted file, ready to store."""

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


class FileRefused(Exception):
    """An unacceptable file: a Chinese message, and 413 for size, 422 for anything else."""

    def __init__(self, message: str, status: int = 422):
        self.message, self.status = message, status
        super().__init__(message)


def check_upload(upload: Upload, max_bytes: int) -> CheckedFile:
    """Accept a PDF, PNG or JPEG of at most ``max_bytes``; raise FileRefused otherwise."""
    shown = (upload.filename or "（无文件名）")[:60]
    if not upload.data:
        raise FileRefused(f"文件“{shown}”是空的。")
    if len(upload.data) > max_bytes:
        raise FileRefused(f"文件“{shown}”超过 {max_bytes // MEGABYTE} MB，请压缩或拆分后再上传。", 413)
    content_type = sniff_type(upload.data)
    if content_type is None:
        raise FileRefused(f"文件“{shown}”不是 PDF、PNG 或 JPEG（按文件内容判断，与文件名无关）。")
    return CheckedFile(
        filename=clean_filename(upload.filename, content_type),
        content_type=content_type,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        data=upload.data,
    )


def describe(filename: str, content_type: str, size: int, sha256: str) -> str:
    """One line for the audit trail: name, type, size and the start of the digest."""
    return f"{filename}（{TYPE_LABELS[content_type]}，{human_size(size)}，SHA-256 {sha256[:16]}…）"


def human_size(size: int) -> str:
    """1.2 MB, 34 KB or 512 B, as people read sizes."""
    if size >= MEGABYTE:
        return f"{size / MEGABYTE:.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} B"
