from tests.builders import db as db  # re-export the fixture
