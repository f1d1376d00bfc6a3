"""QR codes of one-time sign-in links, as SVG (segno: pure Python, no image libraries)."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str) -> str:
    """An SVG QR code of `text` (error correction M, dark on white, scalable)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out,
        kind="svg",
        scale=6,
        border=2,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        title="Sign-in link",
    )
    return out.getvalue().decode()
