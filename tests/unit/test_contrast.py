"""WCAG 2.2 AA contrast for every colour pair in the stylesheets, computed from the CSS itself:
text 4.5:1 (3:1 for large text), focus outlines 3:1 against the surfaces they sit on."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHEETS = [
    ROOT / "static/css/app.css",
    ROOT / "templates/portal/_styles.html",
    ROOT / "templates/admin/_styles.html",
]
# Rules whose text sits on the dark top bar rather than on the page or a card.
ON_TOPBAR = (".topbar", ".brand", ".logo", "button.link", ".who", ".role-chip", ".menu-toggle")
TOPBAR_TEXT = "#dbe3f3"
# Shapes without text (bars, meters, dots): their colours are checked as graphics elsewhere.
NO_TEXT = (".bar", ".meter", ".progress", "::before", "::after")
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _variables() -> dict[str, str]:
    css = SHEETS[0].read_text()
    root = re.search(r":root\s*\{([^}]*)\}", css).group(1)
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", root))


VARS = _variables()


def _rgba(value: str, under=(1.0, 1.0, 1.0)) -> tuple[float, float, float] | None:
    """A CSS colour as RGB in 0..1 (alpha composited over UNDER), or None if not a colour."""
    value = value.strip()
    while value.startswith("var("):
        value = VARS[value[4:].split(")")[0].strip()].strip()
    if value in ("#fff", "#ffffff", "white"):
        return (1.0, 1.0, 1.0)
    m = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value)
    if m:
        h = m.group(1)
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        return tuple(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    m = re.fullmatch(r"rgba?\(([^)]*)\)", value)
    if m:
        parts = [float(p) for p in re.split(r"[,\s/]+", m.group(1).strip()) if p]
        rgb, alpha = [p / 255 for p in parts[:3]], parts[3] if len(parts) > 3 else 1.0
        return tuple(alpha * c + (1 - alpha) * u for c, u in zip(rgb, under, strict=True))
    return None


def _luminance(rgb) -> float:
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ratio(fg, bg) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _rules():
    for path in SHEETS:
        text = path.read_text()
        if path.suffix == ".html":
            text = "\n".join(re.findall(r"<style>(.*?)</style>", text, re.S))
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        text = re.sub(r"@media[^{]*\{", "", text)  # media blocks: check their rules the same way
        for selector, body in RULE.findall(text):
            decls = dict(
                (k.strip(), v.strip()) for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)
            )
            yield path.name, " ".join(selector.split()), decls


def _background(decls) -> str | None:
    for key in ("background-color", "background"):
        if key in decls and _rgba(decls[key].split()[0]) is not None:
            return decls[key].split()[0]
    return None


def _large(decls) -> bool:
    size = decls.get("font-size", "")
    m = re.match(r"([\d.]+)rem", size)
    return bool(m) and float(m.group(1)) >= 1.5


def pairs():
    """(where, selector, kind, foreground, background, needed) for every pair in the sheets."""
    page, card, topbar = VARS["--bg"], "#fff", "#111b2e"
    for sheet, selector, decls in _rules():
        if selector.startswith(":root"):
            continue
        fg, bg = decls.get("color"), _background(decls)
        if fg is not None and _rgba(fg) is None:
            fg = None  # inherit, currentColor ...
        need = 3.0 if _large(decls) else 4.5
        dark = any(s in selector for s in ON_TOPBAR)
        if bg and not fg and any(s in selector for s in NO_TEXT):
            bg = None
        if fg and bg:
            yield sheet, selector, "text", fg, bg, need
        elif fg:
            for surface in [topbar] if dark else [card, page]:
                yield sheet, selector, "text", fg, surface, need
        elif bg:
            # The text colour it inherits: the top bar's, a button's, or the page's ink.
            inherited = (
                TOPBAR_TEXT if dark else "var(--brand-ink)" if ".btn" in selector else VARS["--ink"]
            )
            yield sheet, selector, "text", inherited, bg, need
        outline = decls.get("outline", "") + " " + decls.get("outline-color", "")
        colour = next((p for p in outline.split() if _rgba(p) is not None), None)
        if colour:
            for surface in [topbar] if dark else [card, page]:
                yield sheet, selector, "focus outline", colour, surface, 3.0


def test_the_checker_reads_the_stylesheet_and_knows_a_failing_pair():
    found = list(pairs())
    assert len(found) > 60
    assert round(ratio(_rgba("#777"), _rgba("#fff")), 2) == 4.48  # a known just-failing grey
    assert round(ratio(_rgba("#000"), _rgba("#fff")), 1) == 21.0


def test_every_colour_pair_in_the_stylesheets_meets_wcag_aa():
    failures = []
    for sheet, selector, kind, fg, bg, need in pairs():
        under = _rgba(bg)
        r = ratio(_rgba(fg, under), under)
        if r < need:
            failures.append(
                f"{sheet} {selector}: {kind} {fg} on {bg} is {r:.2f}:1 (needs {need}:1)"
            )
    assert failures == [], "\n".join(failures)
