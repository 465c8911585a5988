"""Persistence: the durability point and its copy in DuckDB.

Every signal, order, transition and fill is appended to the JSON-lines
:class:`~alphastock.persistence.journal.Journal` before anything acts on it, and copied to
DuckDB by one background :class:`~alphastock.persistence.writer.StoreWriter` thread, so the
tick → broker path never waits for a DuckDB commit. :func:`~alphastock.persistence.writer.replay`
fills DuckDB from the journal at start; :mod:`~alphastock.persistence.rebuild` rebuilds a damaged
store from the journal's segments.

This package sits below signals and execution (they hand it records) and above the store (whose
tables it writes): it imports neither signals nor execution.
"""
