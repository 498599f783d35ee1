"""Item pipelines: article extraction, validation and JSONL export."""
