"""``image.warc`` when records are rebuilt from WARCs (``archive.reextract``), as the crawl
sets it (``pipelines.lead_image``): the record's lead image points at the archived response
of that image URL (2xx; a resolved revisit points at its original), from the same crawl.

Records come out of extraction in archive order, and a page's requisites are archived just
after the page; a record whose image has not been read yet is held until it is, for at most
``window`` further records, then released without the pointer (as the crawl does when its
wait runs out).  Whatever is still held at the end is released then.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from pipelines.responses import FetchedResponse, Outcome

DEFAULT_WINDOW = 2000


class LeadImagePointers:
    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self.pointers: dict[tuple[str, str], dict[str, Any]] = {}
        self.held: OrderedDict[int, tuple[tuple[str, str], Outcome]] = OrderedDict()
        self.serial = 0

    def watch(self, responses: Iterable[FetchedResponse]) -> Iterator[FetchedResponse]:
        """Pass ``responses`` through, remembering where each 2xx response's payload is."""
        for response in responses:
            if 200 <= response.status < 300:
                self.pointers.setdefault((response.crawl_id, response.url), response.pointer)
            yield response

    def _image_of(self, record: dict[str, Any]) -> tuple[str, str] | None:
        image = record.get("image")
        if not isinstance(image, dict) or not image.get("url"):
            return None
        return str(record.get("crawl_id", "")), str(image["url"])

    def _pointed(self, wanted: tuple[str, str], outcome: Outcome) -> Outcome:
        pointer = self.pointers.get(wanted)
        if pointer is not None and outcome.record is not None:
            outcome.record["image"]["warc"] = dict(pointer)
        return outcome

    def attach(self, outcome: Outcome) -> Iterator[Outcome]:
        """This outcome (when its image is known or it has none) and the held ones now due."""
        for serial, (wanted, held) in list(self.held.items()):
            if wanted in self.pointers or serial <= self.serial - self.window:
                del self.held[serial]
                yield self._pointed(wanted, held)
        self.serial += 1
        wanted = self._image_of(outcome.record) if outcome.record is not None else None
        if wanted is None or wanted in self.pointers:
            yield self._pointed(wanted, outcome) if wanted else outcome
        else:
            self.held[self.serial] = (wanted, outcome)

    def flush(self) -> Iterator[Outcome]:
        while self.held:
            _, (wanted, outcome) = self.held.popitem(last=False)
            yield self._pointed(wanted, outcome)
