from tests.cli.conftest import db as db  # re-export: an SQLite database made by `mpo init`
