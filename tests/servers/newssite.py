"""``NewsTestSite``: the demo news site plus the hard cases a crawler must survive.

Every hard case is linked from a section listing unless its docstring entry says otherwise;
``hostile=True`` adds links to the routes that misbehave (errors, loops, huge bodies, bombs,
binary, a legacy charset, slow and dropped responses). The hostile routes answer either way.
"""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

from crawler.demo.site import (
    SECTIONS, Article, DemoResponse, DemoSite, ListingEntry, html_response, redirect, response,
    tiny_png,
)
from tests.servers.seed import load_seed_article

GZIP_PATH = "/business/2025/mar/15/freight-rates-ease-as-canal-traffic-returns"
CHUNKED_PATH = "/en/culture/choir-festival-returns-to-cathedral"
REDIRECT_FINAL_PATH = "/2025/03/09/harbour-police-name-new-chief-constable/"
FEED_ONLY_PATH = "/2025/03/15/tram-depot-sale-agreed/"
SITEMAP_ONLY_PATH = "/culture/2025/mar/15/poetry-prize-shortlist-announced"
QUERY_PATH = "/story?id=42&ref=home"
CHARSET_PATH = "/fr/economie/chantier-naval-commande-record"
REDIRECT_HOPS = ["/old/story-x", "/moved/story-x"]
NOT_FOUND_PATH = "/2025/01/30/council-story-that-was-removed/"
GONE_PATH = "/gone/withdrawn-story/"
PRIVATE_PATH = "/private/secret-article/"
LIVE_PATH = "/live/election-night/"
HOSTILE_PATHS = ["/status/500", "/status/503", "/loop/a", "/huge/", "/bomb/", "/binary-page/",
                 "/delay/2", "/drop"]
QUERY_REASON = "Fine Thanks"
HUGE_SIZE = 30 * 1024 * 1024
MIB = 1024 * 1024


def hard_case_articles() -> list[dict[str, Any]]:
    """Articles served in unusual ways. All text is original fiction for these tests."""
    return [
        dict(slug="freight-rates-ease", family="publisher", section="business", path=GZIP_PATH,
             title="Freight rates ease as canal traffic returns to normal",
             description="Container rates fell for a sixth week as ships returned to the canal.",
             published="2025-03-15T10:00:00+00:00", authors=["Kwame Mensah"],
             byline="By Kwame Mensah", tags=["Shipping"],
             image={"caption": "A container ship entering the outer harbour.",
                    "credit": "Rui Duarte/Harbour Images", "prefix": "Photograph: "},
             body=[
                 "Container freight rates fell for the sixth week in a row as traffic through the canal returned to normal levels, easing pressure on importers who had faced months of surcharges.",
                 "The benchmark rate for a forty-foot container on the main Asian route is now about a third below its peak in December, according to a freight index compiled by shipbrokers.",
                 "Importers in Harbour City said the relief had come too late for the winter season, when many had paid premium rates to secure space on vessels taking the longer route around the cape.",
                 "Shipping lines have begun to cancel some of the extra sailings they added during the disruption, a sign that they expect capacity to exceed demand for the rest of the year.",
                 "Analysts warned that rates could rise again if the port strike is not resolved, since ships diverted to other ports add days to delivery times for inland customers.",
             ]),
        dict(slug="choir-festival-returns", family="drupal", section="culture", path=CHUNKED_PATH,
             title="Choir festival returns to the cathedral after five-year break",
             description="Forty choirs will sing in the cathedral over one weekend in June.",
             published="2025-03-14T15:00:00+00:00", authors=["Miriam Albers"],
             byline="By Miriam Albers", tags=["Music"],
             image={"caption": "The cathedral nave during a rehearsal.",
                    "credit": "Harbour Cathedral Trust", "prefix": "© "},
             body=[
                 "The harbour city choir festival will return to the cathedral this June after a five-year break caused first by the pandemic and then by repairs to the building's roof.",
                 "Forty choirs from across the region have signed up, ranging from a children's choir on the islands to a male voice choir founded by dockworkers in 1902.",
                 "The festival will end with a performance in which all the choirs sing together, something the organisers say has never been attempted in the cathedral before.",
                 "Tickets for the evening concerts will cost 15 euros, while the daytime performances will be free and open to anyone who turns up.",
                 "Organisers are still looking for volunteers to act as stewards and to host visiting singers in their homes.",
             ]),
        dict(slug="harbour-police-name-new-chief-constable", family="wordpress",
             section="politics", path=REDIRECT_FINAL_PATH, listed=False, in_feed=False,
             in_sitemap=False, title="Harbour Police Name New Chief Constable",
             description="Deputy chief Marit Havn will lead the force from April.",
             published="2025-03-09T12:00:00+01:00", authors=["Harbourside Correspondents"],
             byline="by Harbourside Correspondents", tags=["Policing"],
             body=[
                 "Harbour Police have named deputy chief constable Marit Havn as the force's next leader, making her the first woman to hold the post since the force was founded.",
                 "Havn, who joined the police as a patrol officer on the waterfront 26 years ago, will take over in April from Chief Constable Rolf Engen, who is retiring.",
                 "She said her priorities would be response times in the northern suburbs and a new unit to tackle fraud targeting elderly residents.",
                 "The police authority said she had been chosen unanimously from a shortlist of four candidates after a process that included a public question session.",
                 "Officers' representatives welcomed the appointment, describing Havn as someone who still knew what a night shift on the quays was like.",
             ]),
        dict(slug="tram-depot-sale-agreed", family="wordpress", section="business",
             path=FEED_ONLY_PATH, listed=False, in_feed=True, in_sitemap=False,
             title="Tram Depot Sale Agreed With Housing Cooperative",
             description="The old tram depot will become 180 cooperative homes.",
             published="2025-03-15T08:30:00+01:00", authors=["Marta Quint"],
             byline="by Marta Quint", tags=["Housing"],
             image={"caption": "The tram depot's brick facade on Mill Street.",
                    "credit": "Ben Aldridge", "prefix": "Photo: ", "style": "caption_paren"},
             body=[
                 "The city has agreed to sell the old tram depot on Mill Street to a housing cooperative, which plans to turn the listed building into 180 homes.",
                 "The sale price of 14 million euros is below the valuation made two years ago, but the city said the agreement included binding commitments on rents and public access.",
                 "The depot's main hall will keep its glass roof and become a covered courtyard open to the public during the day.",
                 "Residents of the surrounding streets had campaigned against an earlier plan to demolish the depot and build offices.",
                 "Construction is expected to start next year, once the cooperative has raised the remaining finance from its members.",
             ]),
        dict(slug="poetry-prize-shortlist-announced", family="publisher", section="culture",
             path=SITEMAP_ONLY_PATH, listed=False, in_feed=False, in_sitemap=True,
             title="Poetry prize shortlist dominated by debut collections",
             description="Four of the six books shortlisted are their authors' first.",
             published="2025-03-15T12:00:00+00:00", authors=["Oliver Reyes"],
             byline="By Oliver Reyes", tags=["Books", "Poetry"],
             body=[
                 "Four of the six collections shortlisted for this year's Harbour Poetry Prize are debuts, the first time first books have outnumbered established poets on the list.",
                 "The judges said the shortlist reflected a generation of poets writing about work, weather and family with unusual directness.",
                 "Among the debuts is a sequence of poems written by a former trawlerman about his last season at sea, published by a small press on the islands.",
                 "The winner will be announced at the city library in May and receives 10,000 euros.",
                 "Last year's prize went to a collection of poems about the closure of the sugar refinery.",
             ]),
        dict(slug="sailing-championships-bid", family="publisher", section="politics",
             path=QUERY_PATH, listed=False, in_feed=False, in_sitemap=False,
             title="Harbour City bids to host 2029 sailing championships",
             description="The bid promises to use existing marinas and temporary stands.",
             published="2025-03-08T09:00:00+00:00", authors=["Lukas Brandt", "Helen Strand"],
             byline="By Lukas Brandt and Helen Strand", tags=["Sport"],
             body=[
                 "Harbour City has submitted a bid to host the 2029 world sailing championships, promising a low-cost event built around existing marinas and temporary stands.",
                 "The bid committee estimates the cost at 22 million euros, two thirds of which would be covered by sponsorship and broadcasting rights.",
                 "Racing would take place in the outer fjord, where conditions in late summer are described in the bid as reliably breezy.",
                 "Opponents on the council have questioned whether the city can afford another large event while the tunnel project is under way.",
                 "A decision is expected from the international federation in November.",
             ]),
    ]


def charset_article() -> dict[str, Any]:
    """A French article served in windows-1252, declared only in ``<meta charset>``."""
    return dict(
        slug="chantier-naval-commande-record", family="drupal", section="business",
        section_label="Économie", language="fr", path=CHARSET_PATH, charset="windows-1252",
        title="Le chantier naval décroche une commande record de 190 millions d’euros",
        description="Quatre ferries électriques seront construits d’ici à 2028.",
        published="2025-03-13T14:00:00+01:00", authors=["Étienne Mercier"],
        byline="Par Étienne Mercier", tags=["Économie", "Chantier naval"],
        image={"caption": "Le bassin de radoub du chantier, côté est.",
               "credit": "Sophie Laurent", "prefix": "Crédit : "},
        body=[
            "Le chantier naval de la rive est a décroché une commande de quatre ferries électriques, d’un montant de 190 millions d’euros — la plus importante de son histoire.",
            "« C’est une bouffée d’oxygène pour toute la filière », s’est félicité le délégué syndical, qui rappelle que l’effectif a fondu d’un tiers en deux ans.",
            "Les navires, longs de 95 mètres, pourront embarquer 300 passagers et une soixantaine de véhicules ; ils se rechargeront à quai en vingt minutes.",
            "Reste à financer le raccordement électrique des terminaux, évalué à 30 millions d’euros, dont le coût n’est pas encore réparti entre la région et l’opérateur.",
            "Le premier ferry doit être livré au printemps 2027, les trois autres suivront à six mois d’intervalle.",
        ])


def link(path: str, title: str, published: str, section: str, summary: str = "") -> ListingEntry:
    return ListingEntry(path, title, published, summary, section)


class NewsTestSite(DemoSite):
    def __init__(self, hostile: bool = False, seed: bool = True, bomb_mib: int = 1024) -> None:
        extras = hard_case_articles()
        if hostile:
            extras.append(charset_article())
        if seed:
            extras.append(load_seed_article())
        super().__init__(extras)
        self.hostile = hostile
        self.bomb_mib = bomb_mib
        self.query_article: Article = self.by_path.pop(QUERY_PATH)
        self.extra_links["politics"] += [
            link(REDIRECT_HOPS[0], "Harbour Police Name New Chief Constable",
                 "2025-03-09T12:00:00+01:00", "politics", "A new chief for the harbour police."),
            link("/about/", "About our newsroom", "2025-03-06T12:00:00+01:00", "politics",
                 "Who we are and how we work."),
            link(NOT_FOUND_PATH, "Council story that was later removed",
                 "2025-02-25T12:00:00+01:00", "politics"),
            link(PRIVATE_PATH, "Embargoed: draft budget leak", "2025-03-04T12:00:00+01:00",
                 "politics"),
        ]
        self.extra_links["business"] += [
            link(QUERY_PATH, "Harbour City bids to host 2029 sailing championships",
                 "2025-03-08T09:00:00+00:00", "business"),
            link(LIVE_PATH, "Election night: live updates", "2025-03-03T20:00:00+01:00",
                 "business"),
            link(GONE_PATH, "Withdrawn: quarterly results preview", "2025-02-28T12:00:00+01:00",
                 "business"),
        ]
        if hostile:
            self.extra_links["culture"] += [
                link(path, f"Hostile route {path}", f"2025-02-{10 + i:02d}T12:00:00+01:00",
                     "culture") for i, path in enumerate(HOSTILE_PATHS)]

    # -- what a crawl must and must not produce ---------------------------------------------
    def non_article_paths(self) -> list[str]:
        """Paths a crawl fetches (or is sent to) that must not become records."""
        listings = [f"/category/{s}/" for s in SECTIONS] + [
            f"/category/{s}/page/{n}/" for s in SECTIONS
            for n in range(2, self.section_pages(s) + 1)]
        paths = listings + ["/about/", LIVE_PATH, NOT_FOUND_PATH, GONE_PATH, *REDIRECT_HOPS]
        return paths + (HOSTILE_PATHS + ["/loop/b"] if self.hostile else [])

    def disallowed_paths(self) -> list[str]:
        return [PRIVATE_PATH]

    # -- routes -----------------------------------------------------------------------------
    def route(self, path: str, query: str, origin: str) -> DemoResponse | None:
        special = self.special_route(path, query, origin)
        if special is not None:
            return special
        found = super().route(path, query, origin)
        if found is not None and path == GZIP_PATH:
            found.body = gzip.compress(found.body, mtime=0)
            found.headers.append(("Content-Encoding", "gzip"))
        elif found is not None and path == CHUNKED_PATH:
            found.chunks = uneven_chunks(found.body)
            found.headers.append(("Transfer-Encoding", "chunked"))
        return found

    def special_route(self, path: str, query: str, origin: str) -> DemoResponse | None:
        if path == "/story":
            if parse_qs(query).get("id") != ["42"]:
                return None
            found = self.article_response(self.query_article, origin)
            found.reason = QUERY_REASON
            found.headers += [("Set-Cookie", "session=abc123; Path=/; HttpOnly"),
                              ("Set-Cookie", "consent=necessary; Path=/; Max-Age=31536000")]
            return found
        if path == REDIRECT_HOPS[0]:
            return redirect(REDIRECT_HOPS[1])
        if path == REDIRECT_HOPS[1]:
            return redirect(REDIRECT_FINAL_PATH)
        if path == GONE_PATH:
            return html_response(self.render_page("Gone", "<h1>This story has been withdrawn"
                                                  "</h1><p>It is no longer available.</p>"), 410)
        if path == PRIVATE_PATH:
            return html_response(self.render_page("Draft", "<article><h1>Embargoed draft</h1>"
                                                  "<p>Not for publication.</p></article>"))
        if path == LIVE_PATH:
            content = ('<div class="live-blog"><h1>Election night: live updates</h1><ul>'
                       "<li><time>21:04</time> Polls closed.</li>"
                       "<li><time>21:30</time> First results expected soon.</li></ul></div>")
            return html_response(self.render_page("Live", content))
        return self.hostile_route(path)

    def hostile_route(self, path: str) -> DemoResponse | None:
        if m := re.fullmatch(r"/status/([1-5]\d\d)", path):
            status = int(m[1])
            extra = [("Retry-After", "1")] if status == 503 else []
            return html_response(f"<html><body><h1>Status {status}</h1></body></html>", status,
                                 *extra)
        if m := re.fullmatch(r"/loop/([ab])", path):
            return redirect("/loop/b" if m[1] == "a" else "/loop/a", 302)
        if m := re.fullmatch(r"/delay/(\d+(?:\.\d+)?)", path):
            found = html_response("<html><body><p>Sorry for the wait.</p></body></html>")
            found.delay = min(float(m[1]), 60.0)
            return found
        if path == "/huge/":
            return response(200, self.huge_body, "text/html; charset=UTF-8")
        if path == "/bomb/":
            found = response(200, self.bomb_body, "text/html; charset=UTF-8",
                             ("Content-Encoding", "gzip"))
            return found
        if path == "/binary-page/":
            return response(200, tiny_png("binary", 64, 64), "text/html; charset=UTF-8")
        if path == "/drop":
            body = b"<html><body>" + b"<p>This page never finishes.</p>" * 700 + b"</body></html>"
            found = response(200, body, "text/html; charset=UTF-8",
                             ("Content-Length", str(len(body))))
            found.drop_after = len(body) // 4
            return found
        return None

    @cached_property
    def huge_body(self) -> bytes:
        paragraph = b"<p>" + b"All work and no play makes a very long page. " * 20 + b"</p>\n"
        head = b"<!DOCTYPE html><html><head><title>Huge</title></head><body>\n"
        count = (HUGE_SIZE - len(head)) // len(paragraph) + 1
        return head + paragraph * count + b"</body></html>\n"

    @cached_property
    def bomb_body(self) -> bytes:
        return gzip_bomb(self.bomb_mib)


def uneven_chunks(body: bytes) -> list[bytes]:
    """Split into chunks of varying size, so readers cannot rely on a fixed chunk length."""
    sizes, chunks, at = [1, 517, 1024, 4096, 333], [], 0
    while at < len(body):
        size = sizes[len(chunks) % len(sizes)]
        chunks.append(body[at:at + size])
        at += size
    return chunks


def gzip_bomb(mib: int) -> bytes:
    """A gzip body that inflates to ``mib`` MiB of zeros (about 1 KB per MiB on the wire).

    After a full flush deflate restarts from an empty window, so every further MiB of zeros
    compresses to the same bytes: compress two MiB, then repeat the second block.
    """
    block = bytes(MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)[:-8]  # drop the trailer for two MiB
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    trailer = struct.pack("<II", crc, (mib * MIB) & 0xFFFFFFFF)
    return first + repeat * (mib - 1) + end + trailer
