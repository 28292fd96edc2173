"""Attachments: type from content, size, names, polyglots, metadata checks on every command, the storage hook."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit import (
    Actor,
    Attachment,
    AttachmentEmpty,
    AttachmentNameRefused,
    AttachmentRefused,
    AttachmentTooLarge,
    AttachmentTypeMismatch,
    AttachmentTypeNotAllowed,
    CaseNotFound,
    ConfigurationError,
    Customer,
    Order,
    PermissionDenied,
    ResolveKit,
    ResolveKitError,
    SecurityPolicy,
)
from resolvekit.hookspecs import hookimpl
from resolvekit.plugins.recorder import RecordingNotifier
from resolvekit.testing import ManualClock


def _png(trailer: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"") + trailer


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.js", "alert(document.cookie)")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = _png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 64 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00" + b"\x00" * 14
XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<invoice number="1001"><total currency="SAR">249.00</total></invoice>\n'

GOOD = [
    ("invoice.pdf", PDF, "application/pdf"),
    ("photo.png", PNG, "image/png"),
    ("photo.JPG", JPEG, "image/jpeg"),
    ("clip.gif", GIF, "image/gif"),
    ("shot.webp", WEBP, "image/webp"),
    ("e-invoice.xml", XML, "application/xml"),
    ("\ufeffbom.xml".lstrip("\ufeff"), b"\xef\xbb\xbf" + XML, "application/xml"),
]


@attrs.define
class FileStore:
    """The host's file storage: keeps what it is given, returns a reference."""

    files: list[tuple[str | None, str, str, bytes]] = attrs.field(factory=list)

    @hookimpl
    def resolvekit_store_attachment(self, case_id: str | None, name: str, content_type: str, data: bytes) -> str:
        self.files.append((case_id, name, content_type, data))
        return f"files/{len(self.files)}"


@pytest.fixture
def files() -> FileStore:
    return FileStore()


@pytest.fixture
def app(clock: ManualClock, notifier: RecordingNotifier, files: FileStore) -> Iterator[ResolveKit]:
    with ResolveKit(storage="memory://", clock=clock, plugins=[notifier, files]) as rk:
        yield rk


@pytest.fixture
def complaint(app: ResolveKit, order: Order, customer: Customer, platform: Actor) -> str:
    result = app.open_complaint(
        Actor.customer(customer.id), order=order, customer=customer, reason="damaged_goods",
        description="Cracked.", declaration_accepted=True,
    )
    app.pass_review(platform, result.case.id)
    return result.case.id


def refused(app: ResolveKit, files: FileStore, error: type[AttachmentRefused], call: Callable[[], object]) -> AttachmentRefused:
    before = list(files.files)
    with pytest.raises(error) as caught:
        call()
    assert files.files == before, "a refused file reached the host's storage"
    return caught.value


@pytest.mark.parametrize(("name", "data", "content_type"), GOOD, ids=[g[0] for g in GOOD])
def test_allowed_files_are_detected_from_their_content(
    app: ResolveKit, files: FileStore, complaint: str, buyer: Actor, name: str, data: bytes, content_type: str
) -> None:
    attachment = app.upload_attachment(buyer, complaint, name, data)
    assert attachment == Attachment(name, content_type, len(data), "files/1")
    assert files.files == [(complaint, name, content_type, data)]
    message = app.reply(buyer, complaint, "Photo attached.", attachments=[attachment]).case.messages[-1]
    assert message.attachments == (attachment,)


def test_every_role_uploads_through_the_same_checks(
    app: ResolveKit, files: FileStore, complaint: str, buyer: Actor, merchant: Actor, platform: Actor
) -> None:
    for actor in (buyer, merchant, platform):
        assert app.upload_attachment(actor, complaint, "proof.pdf", PDF).content_type == "application/pdf"
        refused(app, files, AttachmentTypeMismatch, lambda: app.upload_attachment(actor, complaint, "proof.pdf", PNG))
    with pytest.raises(PermissionDenied):
        app.upload_attachment(Actor.system(), complaint, "proof.pdf", PDF)


def test_a_file_for_a_new_complaint_is_uploaded_before_it_opens(
    app: ResolveKit, files: FileStore, order: Order, customer: Customer, buyer: Actor
) -> None:
    photo = app.upload_attachment(buyer, None, "crack.jpg", JPEG)
    assert files.files[0][0] is None
    opened = app.open_complaint(buyer, order=order, customer=customer, reason="damaged_goods", description="Cracked.",
                                declaration_accepted=True, attachments=[photo])
    assert opened.case.attachments == (photo,)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("photo.pdf", PNG, AttachmentTypeMismatch),  # the name says PDF, the content is PNG
        ("photo.png", JPEG, AttachmentTypeMismatch),
        ("invoice", PDF, AttachmentTypeMismatch),  # no extension at all
        ("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, AttachmentTypeNotAllowed),  # a Windows program
        ("invoice.pdf", b"just some text, not a PDF at all", AttachmentTypeNotAllowed),
        ("page.xml", b"<!DOCTYPE html><html><body>hi</body></html>", AttachmentTypeNotAllowed),
        ("image.xml", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', AttachmentTypeNotAllowed),
        ("archive.pdf", _zip(), AttachmentTypeNotAllowed),
        ("photo.bmp", b"BM" + b"\x00" * 60, AttachmentTypeNotAllowed),  # recognised, but not allowed by default
        ("fake.pdf", b"\x00\x00%PDF-1.4\n%%EOF", AttachmentTypeNotAllowed),  # the signature is not at the start
    ],
)
def test_mislabelled_or_unknown_content_is_refused(
    app: ResolveKit, files: FileStore, complaint: str, buyer: Actor, name: str, data: bytes, error: type[AttachmentRefused]
) -> None:
    refused(app, files, error, lambda: app.upload_attachment(buyer, complaint, name, data))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", PNG + _zip()),  # an image that is also a ZIP archive (GIFAR-style)
        ("photo.jpg", JPEG + _zip()),
        ("photo.png", _png(trailer=b"<?php system($_GET['c']); ?>")),  # data after the image's end
        ("clip.gif", b"GIF89a/*\x00\x00*/=alert(1);//" + GIF[13:]),  # a GIF that is also JavaScript (+ markup below)
        ("clip.gif", GIF[:13] + b"<script>alert(1)</script>" + GIF[13:]),
        ("invoice.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n"),
        ("invoice.pdf", b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n"),
        ("invoice.pdf", PDF + b"MZ" + b"\x00" * 2000),  # data after the PDF's end marker
        ("e-invoice.xml", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "xx">]><r>&x;</r>'),
        ("e-invoice.xml", b'<?xml version="1.0"?><?xml-stylesheet href="evil.xsl"?><r/>'),
        ("e-invoice.xml", b'<?xml version="1.0"?><r xmlns:h="http://www.w3.org/1999/xhtml"><h:script>alert(1)</h:script></r>'),
    ],
)
def test_polyglots_and_active_content_are_refused(app: ResolveKit, files: FileStore, complaint: str, buyer: Actor, name: str, data: bytes) -> None:
    refused(app, files, AttachmentTypeMismatch, lambda: app.upload_attachment(buyer, complaint, name, data))


def test_empty_and_oversized_files_are_refused(app: ResolveKit, files: FileStore, complaint: str, buyer: Actor) -> None:
    refused(app, files, AttachmentEmpty, lambda: app.upload_attachment(buyer, complaint, "a.pdf", b""))
    limit = app.policy.security.attachment_max_bytes
    assert limit == 10 * 1024 * 1024
    big = PDF[:-6] + b"\n" * (limit - len(PDF)) + b"%%EOF\n"
    assert len(big) == limit
    assert app.upload_attachment(buyer, complaint, "big.pdf", big).size == limit  # exactly the limit is fine
    error = refused(app, files, AttachmentTooLarge, lambda: app.upload_attachment(buyer, complaint, "big.pdf", big + b"\n"))
    assert error.params["limit"] == limit


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "/etc/cron.d/x.pdf", "C:\\Windows\\x.pdf", "C:x.pdf", "dir/x.pdf",
        "..", ".", ".htaccess.pdf", "x.pdf.", "a\x00b.pdf", "a\nb.pdf", "a\rb.pdf", "a\x1bb.pdf", "a\x7fb.pdf",
        "invoice\u202efdp.pdf", "name\u2066x.pdf", "\u200fx.pdf", "CON.pdf", "nul.pdf", "com1.pdf", "Lpt9.pdf",
        "", "   ", "x" * 252 + ".pdf", None, 42, b"x.pdf",
    ],
)
def test_unsafe_file_names_are_refused(app: ResolveKit, files: FileStore, complaint: str, buyer: Actor, name: Any) -> None:
    refused(app, files, AttachmentNameRefused, lambda: app.upload_attachment(buyer, complaint, name, PDF))


def test_names_are_normalised(app: ResolveKit, complaint: str, buyer: Actor) -> None:
    assert app.upload_attachment(buyer, complaint, "  facture e\u0301te\u0301.pdf ", PDF).name == "facture \u00e9t\u00e9.pdf"
    assert app.upload_attachment(buyer, complaint, "فاتورة.pdf", PDF).name == "فاتورة.pdf"


def test_a_card_number_in_a_file_name_is_masked(app: ResolveKit, files: FileStore, complaint: str, buyer: Actor) -> None:
    stored = app.upload_attachment(buyer, complaint, "card 4111 1111 1111 1111.pdf", PDF)
    assert stored.name == "card **** **** **** 1111.pdf" and files.files[-1][1] == stored.name


def test_the_policy_limits_types_and_size(clock: ManualClock, files: FileStore, complaint: str, buyer: Actor, app: ResolveKit) -> None:
    app.policy = attrs.evolve(app.policy, security=SecurityPolicy(attachment_max_bytes=100, attachment_types={"application/pdf"}))
    refused(app, files, AttachmentTypeNotAllowed, lambda: app.upload_attachment(buyer, complaint, "photo.png", PNG))
    refused(app, files, AttachmentTooLarge, lambda: app.upload_attachment(buyer, complaint, "big.pdf", PDF + b" " * 100))


def test_uploads_respect_tenancy(app: ResolveKit, files: FileStore, complaint: str, other_merchant: Actor) -> None:
    for actor in (other_merchant, Actor.customer("cust-2")):
        with pytest.raises(CaseNotFound):
            app.upload_attachment(actor, complaint, "a.pdf", PDF)
        with pytest.raises(CaseNotFound):
            app.upload_attachment(actor, 12, "a.pdf", PDF)  # type: ignore[arg-type]
    assert files.files == []


def test_without_a_storage_hook_uploads_fail_clearly(clock: ManualClock, buyer: Actor) -> None:
    with ResolveKit(storage="memory://", clock=clock) as rk:
        with pytest.raises(ConfigurationError, match="resolvekit_store_attachment"):
            rk.upload_attachment(buyer, None, "a.pdf", PDF)


def test_content_must_be_bytes(app: ResolveKit, buyer: Actor) -> None:
    for data in ("%PDF-1.4", None, 12, [1, 2]):
        with pytest.raises(ResolveKitError):
            app.upload_attachment(buyer, None, "a.pdf", data)  # type: ignore[arg-type]
    assert app.upload_attachment(buyer, None, "a.pdf", bytearray(PDF)).size == len(PDF)


# -- metadata on commands: checked again for every role, whoever built it ------------------------------


FORGED = [
    (Attachment("run.exe", "application/x-msdownload", 100, "files/x"), AttachmentTypeNotAllowed),
    (Attachment("page.html", "text/html", 100, "files/x"), AttachmentTypeNotAllowed),
    (Attachment("../../etc/passwd.pdf", "application/pdf", 100, "files/x"), AttachmentNameRefused),
    (Attachment("a\x00.pdf", "application/pdf", 100, "files/x"), AttachmentNameRefused),
    (Attachment("photo.png", "application/pdf", 100, "files/x"), AttachmentTypeMismatch),
    (Attachment("huge.pdf", "application/pdf", 10 * 1024 * 1024 + 1, "files/x"), AttachmentTooLarge),
]


@pytest.mark.parametrize(("attachment", "error"), FORGED, ids=[f[0].name.encode("unicode_escape").decode() for f in FORGED])
def test_commands_refuse_forged_attachment_metadata_for_every_role(
    app: ResolveKit, complaint: str, buyer: Actor, merchant: Actor, platform: Actor, order: Order, customer: Customer,
    attachment: Attachment, error: type[AttachmentRefused],
) -> None:
    before = app.activity(platform, complaint)
    calls: list[Callable[[], object]] = [
        lambda: app.reply(buyer, complaint, "see file", attachments=[attachment]),
        lambda: app.reply(merchant, complaint, "see file", attachments=[attachment]),
        lambda: app.add_note(platform, complaint, "see file", attachments=[attachment]),
        lambda: app.dispute_complaint(merchant, complaint, "Not valid, see file", attachments=[attachment]),
    ]
    for call in calls:
        with pytest.raises(error):
            call()
    with pytest.raises(error):
        app.open_complaint(buyer, order=attrs.evolve(order, id="ord-9"), customer=customer, reason="other",
                           description="x", declaration_accepted=True, attachments=[attachment])
    assert app.activity(platform, complaint) == before
    assert app.list_cases(platform).items == (app.get_case(platform, complaint),)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    name=st.one_of(st.text(max_size=80), st.sampled_from(["a.pdf", "b.png", "c.xml", "d.jpg"])),
    data=st.one_of(
        st.binary(max_size=300),
        st.sampled_from([PDF, PNG, JPEG, GIF, XML]).flatmap(lambda head: st.binary(max_size=60).map(lambda tail: head + tail)),
        st.binary(max_size=60).flatmap(lambda head: st.sampled_from([PDF, PNG, JPEG, GIF, XML]).map(lambda body: head + body)),
    ),
)
def test_fuzzed_uploads_are_accepted_or_refused_cleanly(app: ResolveKit, files: FileStore, buyer: Actor, name: str, data: bytes) -> None:
    before = len(files.files)
    try:
        attachment = app.upload_attachment(buyer, None, name, data)
    except ResolveKitError:
        assert len(files.files) == before
        return
    assert len(files.files) == before + 1
    stored_name = files.files[-1][1]
    assert stored_name == attachment.name and "/" not in stored_name and "\\" not in stored_name
    assert all(ch.isprintable() for ch in stored_name)
    assert attachment.content_type in app.policy.security.attachment_types and attachment.size == len(data) > 0
