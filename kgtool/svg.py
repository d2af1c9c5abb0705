"""A node's neighbourhood as SVG, drawn on the server: no script, a deterministic layout.

The centre node sits in the middle, the nodes one hop away on an inner ring and the nodes two hops
away on an outer ring, each ring sorted by kind then id, so the same graph always gives the same
picture. Nodes are coloured by kind; edges by relation type; counter-indications are red and dashed,
contested relations dotted. Every piece of text is XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

KIND_COLOURS = {"dimension": "#4e79a7", "vendor": "#f28e2b", "pattern": "#59a14f", "source": "#9c755f"}
EDGE_COLOURS = {
    "enables": "#2e7d32", "counter-indicates": "#d62728", "requires": "#6a3d9a", "contrasts-with": "#8c8c8c",
    "alternative-to": "#1f77b4", "implements": "#17becf", "part-of": "#bcbd22", "child-of": "#7f7f7f",
    "superseded-by": "#e377c2", "correlates-with": "#aec7e8", "cites": "#9c755f", "risk-of": "#ff7f0e",
}
WIDTH, HEIGHT = 900, 680
INNER, OUTER = 170, 290


@dataclass(frozen=True)
class Neighbourhood:
    centre: str
    hop1: list[str]
    hop2: list[str]
    edges: list[tuple[str, str, str, str]]  # (subject id, type, object id, status)
    titles: dict[str, str]
    kinds: dict[str, str]

    @classmethod
    def around(cls, centre: str, edges: Iterable[tuple[str, str, str, str]], *, titles: dict[str, str],
               kinds: dict[str, str], max_hop2: int = 40) -> "Neighbourhood":
        edges = sorted(set(edges))
        adjacent: dict[str, set[str]] = {}
        for s, _t, o, _st in edges:
            adjacent.setdefault(s, set()).add(o)
            adjacent.setdefault(o, set()).add(s)
        key = lambda n: (kinds.get(n, ""), n)  # noqa: E731
        hop1 = sorted(adjacent.get(centre, set()) - {centre}, key=key)
        seen = {centre, *hop1}
        hop2 = sorted({m for n in hop1 for m in adjacent.get(n, set())} - seen, key=key)[:max_hop2]
        shown = seen | set(hop2)
        kept = [e for e in edges if e[0] in shown and e[2] in shown and (e[0] in seen or e[2] in seen)
                and not (e[0] in hop2 and e[2] in hop2)]
        return cls(centre, hop1, hop2, kept, titles, kinds)


def _ring(names: list[str], radius: float, cx: float, cy: float, offset: float = 0.0) -> dict[str, tuple[float, float]]:
    out = {}
    for i, name in enumerate(names):
        angle = -math.pi / 2 + offset + 2 * math.pi * i / max(len(names), 1)
        out[name] = (round(cx + radius * math.cos(angle), 1), round(cy + radius * math.sin(angle), 1))
    return out


def _short(ident: str) -> str:
    tail = ident.split(".", 1)[-1] if "." in ident else ident
    return tail if len(tail) <= 26 else tail[:25] + "…"


def render_svg(hood: Neighbourhood, *, link: Callable[[str], str] | None = None) -> str:
    """The SVG document (a string) of ``hood``; ``link(id)`` gives each node's page address."""
    cx, cy = WIDTH / 2, HEIGHT / 2 - 10
    pos = {hood.centre: (cx, cy)}
    pos.update(_ring(hood.hop1, INNER, cx, cy))
    pos.update(_ring(hood.hop2, OUTER, cx, cy, offset=math.pi / max(len(hood.hop2), 1)))
    first = {hood.centre, *hood.hop1}
    e = lambda text: escape(str(text), quote=True)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-neighbourhood" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{e("Neighbourhood of " + hood.centre)}">',
           f'<title>{e("Neighbourhood of " + hood.centre)}</title>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
           '<rect width="100%" height="100%" fill="#fff"/>', '<g class="edges">']
    for s, rtype, o, status in hood.edges:
        (x1, y1), (x2, y2) = pos[s], pos[o]
        near = hood.centre in (s, o)
        colour = EDGE_COLOURS.get(rtype, "#999")
        dash = ' stroke-dasharray="6 4"' if rtype == "counter-indicates" else (
            ' stroke-dasharray="2 3"' if status == "contested" else "")
        width = 2.2 if near else 1
        opacity = 1 if near else (0.55 if s in first and o in first else 0.3)
        # Shorten the line so the arrow head stops at the node's circle.
        dx, dy = x2 - x1, y2 - y1
        dist = math.hypot(dx, dy) or 1
        r = 16 if o == hood.centre else 9 if o in hood.hop1 else 6
        x2s, y2s = round(x2 - dx / dist * r, 1), round(y2 - dy / dist * r, 1)
        out.append(f'<line class="edge edge-{e(rtype)}" x1="{x1}" y1="{y1}" x2="{x2s}" y2="{y2s}" stroke="{colour}" '
                   f'stroke-width="{width}" stroke-opacity="{opacity}"{dash} marker-end="url(#arrow)">'
                   f'<title>{e(f"{s} {rtype} {o} ({status})")}</title></line>')
    out.append('</g><g class="nodes">')
    for name, (x, y) in pos.items():
        kind = hood.kinds.get(name, "")
        colour = KIND_COLOURS.get(kind, "#bab0ac")
        r = 16 if name == hood.centre else 9 if name in hood.hop1 else 6
        label = hood.titles.get(name, name) if name == hood.centre else _short(name)
        node = (f'<circle cx="{x}" cy="{y}" r="{r}" fill="{colour}" stroke="#333" stroke-width="1"/>'
                f'<title>{e(name + " — " + hood.titles.get(name, name))}</title>')
        if name != hood.centre and name in hood.hop1 or name == hood.centre:
            anchor = "middle" if name == hood.centre or abs(x - cx) < 12 else ("start" if x > cx else "end")
            tx = x if anchor == "middle" else (x + r + 4 if anchor == "start" else x - r - 4)
            ty = y + r + 14 if name == hood.centre or (anchor == "middle" and y > cy) else (
                y - r - 6 if anchor == "middle" else y + 4)
            weight = ' font-weight="bold"' if name == hood.centre else ""
            node += (f'<text x="{tx}" y="{ty}" text-anchor="{anchor}" font-size="{13 if name == hood.centre else 11}"'
                     f'{weight} font-family="sans-serif" fill="#222">{e(label)}</text>')
        href = link(name) if link else None
        klass = f'node node-{e(kind)}' + (" centre" if name == hood.centre else "")
        if href:
            out.append(f'<a href="{e(href)}" class="{klass}">{node}</a>')
        else:
            out.append(f'<g class="{klass}">{node}</g>')
    out.append("</g>")
    # Legend: kinds, then the relation types present.
    ly = HEIGHT - 40
    x = 10
    for kind, colour in KIND_COLOURS.items():
        out.append(f'<circle cx="{x + 6}" cy="{ly}" r="6" fill="{colour}"/><text x="{x + 16}" y="{ly + 4}" '
                   f'font-size="11" font-family="sans-serif">{e(kind)}</text>')
        x += 90
    types = sorted({t for _s, t, _o, _st in hood.edges})
    x = 10
    ly2 = HEIGHT - 20
    for rtype in types:
        if x + 30 + 6 * len(rtype) > WIDTH - 10:
            x, ly2 = 10, ly2 + 16
        dash = ' stroke-dasharray="6 4"' if rtype == "counter-indicates" else ""
        out.append(f'<line x1="{x}" y1="{ly2 - 3}" x2="{x + 18}" y2="{ly2 - 3}" stroke="{EDGE_COLOURS.get(rtype, "#999")}" '
                   f'stroke-width="2"{dash}/><text x="{x + 22}" y="{ly2}" font-size="10" '
                   f'font-family="sans-serif">{e(rtype)}</text>')
        x += 30 + 6 * len(rtype)
    out.append("</svg>")
    return "\n".join(out) + "\n"
