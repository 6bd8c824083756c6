"""Turn one raw report file into an `Extraction` (see `model.py`)."""
