"""Scene photos over real HTTP: type judged by content, EXIF (GPS) stripped by re-encoding, size limit, who may
see them, the log entry that records each, and the files they are stored in."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.welfare.photos import clean
from tests.harness import Server

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    """A phone-like JPEG: camera make and a GPS position in its EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)})
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def image(fmt: str, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (20, 10), (10, 200, 10, 128)[: len(mode)]).save(buf, fmt)
    return buf.getvalue()


def incident(c: httpx.Client) -> int:
    r = c.post(
        "/api/v1/incidents", json={"title": "Barrier down at gate B", "type": "structural.barrier_failure"}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def upload(
    c: httpx.Client, incident_id: int, data: bytes, name: str = "scene.jpg", ctype: str = "image/jpeg"
) -> httpx.Response:
    return c.post(f"/api/v1/incidents/{incident_id}/photos", files={"photo": (name, data, ctype)})


def test_a_jpeg_with_gps_is_stored_without_any_exif(srv: Server, op: httpx.Client) -> None:
    original = jpeg_with_gps()
    assert dict(Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD))  # the upload has a position
    inc = incident(op)
    r = upload(op, inc, original)
    assert r.status_code == 201, r.text
    photo = r.json()
    assert (photo["media_type"], photo["width"], photo["height"]) == ("image/jpeg", 64, 48)
    stored = srv.data / "photos" / f"{photo['id']}.jpg"
    data = stored.read_bytes()
    assert hashlib.sha256(data).hexdigest() == photo["sha256"] and len(data) == photo["size"]
    kept = Image.open(io.BytesIO(data))
    assert dict(kept.getexif()) == {} and dict(kept.getexif().get_ifd(GPS_IFD)) == {}
    assert b"Exif" not in data and b"PhoneMaker" not in data
    served = op.get(photo["url"])
    assert (served.status_code, served.content, served.headers["content-type"]) == (200, data, "image/jpeg")
    assert served.headers["cache-control"] == "private, no-store"


def test_the_log_records_the_photo_by_id_hash_and_size_and_it_is_audited(
    srv: Server, op: httpx.Client
) -> None:
    inc = incident(op)
    photo = upload(op, inc, jpeg_with_gps()).json()
    log = op.get(f"/api/v1/incidents/{inc}/log").json()["log"]
    expected = f"photo {photo['id']} added: sha256 {photo['sha256']}, {photo['size']} bytes, image/jpeg"
    assert [e["text"] for e in log if e["kind"] == "system"][-1] == expected
    assert srv.app is not None
    logged, record = srv.app.store.history(f"incident:{inc}")[-2:]
    assert (record.action, record.details["photo"], record.details["sha256"]) == (
        "photo-added", photo["id"], photo["sha256"],
    )  # fmt: skip
    assert (logged.action, logged.details["entry"]) == ("log-entry-added", record.details["entry"])
    listed = op.get(f"/api/v1/incidents/{inc}/photos").json()["photos"]
    assert [p["id"] for p in listed] == [photo["id"]]


@pytest.mark.parametrize(
    ("fmt", "mode", "media", "ext"),
    [
        ("PNG", "RGBA", "image/png", "png"),
        ("WEBP", "RGB", "image/webp", "webp"),
        ("PNG", "L", "image/png", "png"),
    ],
    ids=["png-alpha", "webp", "png-grey"],
)
def test_png_and_webp_are_kept_in_their_format(
    srv: Server, op: httpx.Client, fmt: str, mode: str, media: str, ext: str
) -> None:
    inc = incident(op)
    # the declared name and type are ignored: the bytes decide
    r = upload(op, inc, image(fmt, mode), name="x.jpg", ctype="image/jpeg")
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == media
    assert (srv.data / "photos" / f"{r.json()['id']}.{ext}").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "must be a JPEG, PNG or WebP image",
        ),  # not an image we take
        (image("GIF", "P"), "must be a JPEG, PNG or WebP image"),  # an image, of another type
        (b"%PDF-1.7 not a photo", "must be a JPEG, PNG or WebP image"),
        (jpeg_with_gps()[:200], "is not a readable JPEG, PNG or WebP image"),  # truncated
    ],
    ids=["svg-named-jpg", "gif", "pdf", "truncated-jpeg"],
)
def test_anything_but_a_readable_image_is_refused_by_content(
    srv: Server, op: httpx.Client, data: bytes, message: str
) -> None:
    inc = incident(op)
    r = upload(op, inc, data)
    assert r.status_code == 422
    [problem] = r.json()["problems"]
    assert problem["field"] == "photo" and problem["message"].startswith(message)
    assert op.get(f"/api/v1/incidents/{inc}/photos").json()["photos"] == []
    assert list((srv.data / "photos").glob("*")) == []


@pytest.mark.parametrize("side", [100, 200], ids=["over-the-photo-limit", "over-the-body-limit"])
def test_a_photo_over_the_limit_is_413_and_nothing_is_kept(
    tmp_path: Path, clock: FakeClock, side: int
) -> None:
    big = io.BytesIO()
    Image.effect_noise((side, side), 80).convert("RGB").save(big, "PNG")  # noise does not compress
    assert len(big.getvalue()) > 20_000
    with Server(tmp_path / "d", None, clock, photo_max_bytes=20_000) as srv, srv.client(Role.OPERATOR) as op:
        inc = incident(op)
        r = upload(op, inc, big.getvalue(), "big.png", "image/png")
        assert r.status_code == 413 and "at most 20000 bytes" in r.json()["message"]
        assert op.get(f"/api/v1/incidents/{inc}/photos").json()["photos"] == []


@pytest.mark.parametrize(
    "files",
    [{"picture": ("a.jpg", b"x", "image/jpeg")}, {"note": (None, "hello")}, {"photo": (None, "not a file")}],
    ids=["wrong-field", "no-file", "photo-as-text"],
)
def test_a_request_without_the_photo_file_names_it(op: httpx.Client, files: dict[str, Any]) -> None:
    inc = incident(op)
    r = op.post(f"/api/v1/incidents/{inc}/photos", files=files)
    assert r.status_code == 422
    assert [p["field"] for p in r.json()["problems"]] == ["photo"]


def test_json_is_415(op: httpx.Client) -> None:
    inc = incident(op)
    assert op.post(f"/api/v1/incidents/{inc}/photos", json={"photo": "x"}).status_code == 415


def test_viewers_and_devices_neither_add_nor_see_photos(srv: Server, op: httpx.Client) -> None:
    inc = incident(op)
    photo = upload(op, inc, jpeg_with_gps()).json()
    for role in (Role.VIEWER, Role.WELFARE, Role.DEVICE):
        with srv.client(role) as other:
            assert upload(other, inc, jpeg_with_gps()).status_code == 403
            assert other.get(photo["url"]).status_code == 403
            assert other.get(f"/api/v1/incidents/{inc}/photos").status_code == 403
    with srv.client(Role.SUPERVISOR) as sup:
        assert sup.get(photo["url"]).status_code == 200


def test_unknown_and_closed_incidents(op: httpx.Client) -> None:
    assert upload(op, 999, jpeg_with_gps()).status_code == 404
    inc = incident(op)
    assert op.get(f"/api/v1/incidents/{inc}/photos/1").status_code == 404
    op.post(f"/api/v1/incidents/{inc}/close", json={"disposition": "resolved", "note": "fixed"})
    r = upload(op, inc, jpeg_with_gps())
    assert r.status_code == 409 and r.json()["allowed"] == ["reopen"]


def test_clean_keeps_orientation_but_drops_the_tag() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    Image.new("RGB", (40, 10)).save(buf, "JPEG", exif=exif)
    cleaned = clean(buf.getvalue())
    assert (cleaned.width, cleaned.height) == (10, 40)
    assert dict(Image.open(io.BytesIO(cleaned.data)).getexif()) == {}


def test_an_upload_staged_before_a_crash_is_swept_at_the_next_start(srv: Server, op: httpx.Client) -> None:
    inc = incident(op)
    kept = upload(op, inc, jpeg_with_gps()).json()
    assert srv.app is not None and srv.app.welfare is not None
    orphan = srv.app.welfare.files.stage(clean(jpeg_with_gps()))  # as if the process died before the commit
    srv.stop()
    srv.start()
    assert not orphan.exists()
    assert sorted(p.name for p in (srv.data / "photos").iterdir()) == [f"{kept['id']}.jpg"]
