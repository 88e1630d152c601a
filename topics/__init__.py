"""topics: topic clustering, reports, the command line and the service, built on :mod:`index`."""

__version__ = "0.1.0"
