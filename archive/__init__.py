"""WARC capture and writing, storage backends, indexes, replay and re-extraction."""
