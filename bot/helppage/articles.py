"""The platform's policy articles (seeds 000-002, cleaned) and the little Markdown they are written in.

The subset: `#`/`##`/`###` headings, paragraphs, `-` and `1.` lists (indented continuation lines), `**bold**`,
and `<!-- comments -->` (dropped). Everything is HTML-escaped first, so an article can't inject markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

ARTICLES_DIR = Path(__file__).parent / "articles"
# The order the help page lists them in.
ORDER = ("faq-orders-and-refunds", "open-or-close-a-dispute", "returns-and-refunds-guide")

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITEM = re.compile(r"^(?P<marker>-|\d+\.)\s+(?P<text>.*)$")


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    html: str


def _inline(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", html.escape(text, quote=False))


def render(markdown: str) -> tuple[str, str]:
    """(title, body HTML) of an article."""
    markdown = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    title, out = "", []
    blocks = re.split(r"\n\s*\n", markdown.strip())
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        heading = re.match(r"^(#{1,3})\s+(.*)$", lines[0])
        if heading:
            level = len(heading.group(1))
            if level == 1 and not title:
                title = heading.group(2).strip()
            else:
                out.append(f"<h{level}>{_inline(heading.group(2).strip())}</h{level}>")
            lines = lines[1:]
            if not lines:
                continue
        items: list[str] = []
        ordered = False
        paragraph: list[str] = []
        for line in lines:
            item = _ITEM.match(line.strip()) if not line.startswith("   ") else None
            if item:
                ordered = item.group("marker") != "-"
                items.append(item.group("text"))
            elif items and line.startswith(" "):
                items[-1] += " " + line.strip()
            else:
                paragraph.append(line.strip())
        if paragraph:
            # Wrapped lines join with a space; a line that is all bold (a FAQ question) keeps its break.
            text = ""
            for line in paragraph:
                separator = "<br>" if text.endswith("</strong>") and text.startswith("<strong>") else " "
                text = f"{text}{separator}{_inline(line)}" if text else _inline(line)
            out.append(f"<p>{text}</p>")
        if items:
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{tag}>")
    return title, "\n".join(out)


def load_articles() -> dict[str, Article]:
    articles = {}
    for slug in ORDER:
        title, body = render((ARTICLES_DIR / f"{slug}.md").read_text(encoding="utf-8"))
        articles[slug] = Article(slug, title, body)
    return articles
