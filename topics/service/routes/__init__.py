"""One router per domain; each endpoint calls the Python API and answers with its ``to_dict`` shape."""
