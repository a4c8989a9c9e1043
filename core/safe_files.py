"""Workbooks (XLSX, ODS) are checked before a spreadsheet library opens them.

Both are ZIP packages of XML files. :func:`check_package` refuses, before openpyxl or odfpy
parse anything:

- a file that is not a ZIP package (``unreadable_file``);
- a package that would unpack to more than :data:`MAX_UNPACKED` bytes (a "zip bomb");
- an XML member that declares entities, or reaches for external ones (the "billion laughs"
  entity-expansion bomb, external entity reads): ``unsafe_file``. The check parses each
  member's prolog with ``defusedxml`` up to its root element, so it costs little; no genuine
  workbook declares entities.

openpyxl also parses with defusedxml when it is installed (``openpyxl.DEFUSEDXML``); odfpy
parses with ``xml.sax`` and has no such guard of its own: this check is that guard.
"""

from __future__ import annotations

import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from .errors import EitError

#: largest unpacked size of a workbook package
MAX_UNPACKED = 1 << 30


def check_package(path, file: str) -> None:
    """Raise ``EitError`` unless ``path`` is a ZIP package whose XML is safe to parse."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise EitError(
            "unreadable_file",
            f"{file}: not a workbook (damaged ZIP package: {error})",
            file=file,
            detail=f"not a ZIP package: {error}",
        ) from None
    with archive:
        members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED:
            raise EitError(
                "unreadable_file",
                f"{file}: the workbook would unpack to {unpacked / 1e6:.0f} MB",
                file=file,
                detail=f"unpacks to {unpacked / 1e6:.0f} MB",
            )
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels")):
                with archive.open(member) as handle:
                    _check_prolog(handle, file, member.filename)


def _check_prolog(handle, file: str, member: str) -> None:
    try:
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import iterparse
    except ImportError:
        raise EitError(
            "missing_module",
            f"{file}: reading a workbook safely needs the Python library defusedxml",
            file=file,
            module="defusedxml",
        ) from None

    try:
        for _ in iterparse(handle, events=("start",)):
            break  # the root element: no declaration can follow
    except DefusedXmlException as error:
        raise EitError(
            "unsafe_file",
            f"{file}: {member} declares XML entities ({type(error).__name__}): refused, as an "
            "entity-expansion bomb would be",
            file=file,
            member=member,
        ) from None
    except (ParseError, zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise EitError(
            "unreadable_file",
            f"{file}: {member} is not readable XML ({error})",
            file=file,
            detail=f"{member}: {error}",
        ) from None


__all__ = ["MAX_UNPACKED", "check_package"]
