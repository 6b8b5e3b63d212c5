"""`mpo serve`: the HTTP entrypoint beside the CLI. Routes parse, call one core use case and
render; nothing here decides. Needs the `serve` extra (FastAPI, uvicorn, prometheus-client).
"""
