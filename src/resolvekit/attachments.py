"""Uploading files: what a file really is, decided from its content, before the host stores its bytes.

:meth:`AttachmentCommands.upload_attachment` (on :class:`~resolvekit.ResolveKit`) checks a file for
every role, in this order, and refuses it with a specific
:class:`~resolvekit.errors.AttachmentRefused` subclass:

1. the name (:func:`resolvekit.domain.security.clean_file_name`: no path, no control or direction
   characters, no reserved device name, at most 255 characters) and the bytes (not empty, at most
   ``Policy.security.attachment_max_bytes``);
2. the type, detected from the content by `puremagic <https://pypi.org/project/puremagic/>`_ (a
   maintained, pure-Python magic-number library, imported on first upload) and confirmed by the
   type's own signature at the start of the file; the file name's extension is never trusted and
   must match the detected type;
3. polyglots and active content, where they can be detected: a ZIP archive appended to the file
   (GIFAR-style), web-page or script markup near the start (what browsers sniff), a GIF whose size
   field opens a JavaScript comment, data after a PNG's
   or GIF's end, a PDF without its end marker or with JavaScript or launch actions, and XML with
   entity declarations, stylesheets, SVG, XHTML or scripts.

Only then are the bytes handed to the host's ``resolvekit_store_attachment`` hook; resolvekit keeps
the metadata alone (:class:`~resolvekit.Attachment`). Commands that carry attachments check that
metadata again (type allowed, size, clean name with the type's extension), whoever sends them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from resolvekit._command_host import CommandHost
from resolvekit._i18n import N_
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.free_text import screen_text
from resolvekit.domain.security import ATTACHMENT_TYPES, SecurityPolicy, check_attachment, clean_file_name
from resolvekit.domain.values import Attachment
from resolvekit.errors import (
    AttachmentEmpty,
    AttachmentTooLarge,
    AttachmentTypeMismatch,
    AttachmentTypeNotAllowed,
    CaseNotFound,
    PermissionDenied,
    ValidationError,
)

__all__ = ["AttachmentCommands", "detect_content_type"]

_BOM = b"\xef\xbb\xbf"
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/heif": "image/heic",
    "image/heic-sequence": "image/heic",
    "image/heif-sequence": "image/heic",
    "image/x-ms-bmp": "image/bmp",
    "image/x-bmp": "image/bmp",
    "text/xml": "application/xml",
}
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "application/pdf": lambda d: d.startswith(b"%PDF-"),
    "image/png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda d: d[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP",
    "image/heic": lambda d: d[4:8] == b"ftyp" and d[8:12] in _HEIF_BRANDS,
    "image/bmp": lambda d: d[:2] == b"BM",
    "image/tiff": lambda d: d[:4] in (b"II*\x00", b"MM\x00*"),
    "application/xml": lambda d: d.removeprefix(_BOM).lstrip(b" \t\r\n").startswith(b"<?xml"),
}
_MARKUP = re.compile(rb"<(?:script|html|body|iframe|object|embed|svg|!doctype\s+html|\?php)\b", re.IGNORECASE)
_XML_ACTIVE = re.compile(
    rb"<!(?:doctype|entity)|<\?xml-stylesheet|<(?:[\w.-]+:)?(?:svg|html|script)\b|http://www\.w3\.org/1999/xhtml",
    re.IGNORECASE,
)
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia)\b")
_ZIP_END = b"PK\x05\x06"
_SNIFF_WINDOW = 1024
_ZIP_TAIL = 65_536 + 22


def _mismatch(name: str, message: str, **params: Any) -> AttachmentTypeMismatch:
    return AttachmentTypeMismatch(message, name=name, **params)


def detect_content_type(name: str, data: bytes) -> str:
    """The content type of ``data`` as resolvekit recognises it (a key of ``ATTACHMENT_TYPES``).

    Raises :class:`~resolvekit.errors.AttachmentTypeNotAllowed` for content of another or unknown
    type and :class:`~resolvekit.errors.AttachmentTypeMismatch` for polyglots and active content;
    ``name`` only labels the error.
    """
    import puremagic  # imported on first upload: `import resolvekit` stays light

    probe = data.removeprefix(_BOM)
    try:
        matches = puremagic.magic_string(probe)
    except (puremagic.PureError, ValueError):
        matches = []
    detected = None
    label = N_("of an unrecognised type")
    for match in matches:
        mime = str(_ALIASES.get(match.mime_type, match.mime_type))
        if mime in ATTACHMENT_TYPES:
            detected = mime
            break
        label = str(match.mime_type or match.extension.lstrip(".").upper() or label)
        break  # the best match is another type: refuse, whatever weaker matches follow
    if detected is None or not _SIGNATURES[detected](data):
        raise AttachmentTypeNotAllowed(name=name, detected=label if detected is None else detected, allowed="")
    _refuse_polyglots(name, detected, data)
    return detected


def _refuse_polyglots(name: str, content_type: str, data: bytes) -> None:
    if _ZIP_END in data[-_ZIP_TAIL:]:
        raise _mismatch(name, N_("The file {name!r} also holds a ZIP archive (a polyglot file); send a plain {content_type} file."), content_type=content_type)
    if content_type == "application/xml":
        if _XML_ACTIVE.search(data):
            raise _mismatch(
                name,
                N_("The XML file {name!r} holds entity declarations, a stylesheet, SVG, XHTML or scripts, which are not accepted."),
            )
        return
    if _MARKUP.search(data[:_SNIFF_WINDOW]):
        raise _mismatch(name, N_("The file {name!r} holds web-page or script markup (a polyglot file); send a plain {content_type} file."), content_type=content_type)
    if content_type == "image/png" and not data.endswith(b"IEND\xaeB`\x82"):
        raise _mismatch(name, N_("The file {name!r} has data after the end of its image, or is cut short; send the original file."))
    if content_type == "image/gif" and data[6:8] in (b"/*", b"//"):  # its size field opens a script comment
        raise _mismatch(name, N_("The file {name!r} holds web-page or script markup (a polyglot file); send a plain {content_type} file."), content_type=content_type)
    if content_type == "image/gif" and not data.rstrip(b"\x00").endswith(b";"):
        raise _mismatch(name, N_("The file {name!r} has data after the end of its image, or is cut short; send the original file."))
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-_SNIFF_WINDOW:]:
            raise _mismatch(name, N_("The PDF file {name!r} has data after its end marker, or is cut short; send the original file."))
        if _PDF_ACTIVE.search(data):
            raise _mismatch(name, N_("The PDF file {name!r} holds JavaScript, launch actions or embedded files, which are not accepted."))


def _allowed(policy: SecurityPolicy) -> str:
    return ", ".join(ATTACHMENT_TYPES[t][0].lstrip(".").upper() for t in sorted(policy.attachment_types))


class AttachmentCommands(CommandHost):
    """File uploads on :class:`~resolvekit.ResolveKit` (see the module docstring)."""

    def upload_attachment(self, actor: Actor, case_id: str | None, name: str, data: bytes) -> Attachment:
        """Check an uploaded file and hand its bytes to the host; returns the metadata to attach.

        ``case_id`` is the case the file is for (the actor must see it), or ``None`` for a file sent
        with a case being opened. Pass the returned :class:`~resolvekit.Attachment` to the command
        (``reply(..., attachments=[...])``, ``open_complaint(..., attachments=[...])``). Refusals are
        :class:`~resolvekit.errors.AttachmentRefused` subclasses naming what was wrong; a refused
        file reaches neither the host's storage nor the case.
        """
        if not isinstance(actor, Actor):
            raise PermissionDenied(role=type(actor).__name__, action=N_("upload a file"))
        if case_id is None:
            if actor.case_id is not None:  # guest access covers one existing complaint
                raise CaseNotFound(case_id=case_id)
        elif isinstance(case_id, str):
            self._visible(actor, case_id)
        else:
            raise CaseNotFound(case_id=case_id)
        if actor.role is Role.SYSTEM:
            raise PermissionDenied(role=actor.role.value, action=N_("upload a file"))
        policy = self.policy.security
        cleaned = clean_file_name(name)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValidationError(N_("A file's content must be bytes, not {type}."), type=type(data).__name__)
        content = bytes(data)
        if not content:
            raise AttachmentEmpty(name=cleaned)
        if len(content) > policy.attachment_max_bytes:
            raise AttachmentTooLarge(name=cleaned, size=len(content), limit=policy.attachment_max_bytes)
        try:
            content_type = detect_content_type(cleaned, content)
        except AttachmentTypeNotAllowed as refused:
            raise AttachmentTypeNotAllowed(name=cleaned, detected=refused.params["detected"], allowed=_allowed(policy)) from None
        check_attachment(cleaned, content_type, len(content), policy)
        stored_name = screen_text(cleaned, "name", self.policy)
        ref = self.plugins.store_attachment(case_id, stored_name, content_type, content)
        return Attachment(stored_name, content_type, len(content), ref)
