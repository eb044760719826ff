"""docs/security.md prints the authorization table the server enforces."""

from pathlib import Path

from services.access.authz import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_documented_authorization_table_is_the_enforced_one():
    assert markdown_table() in DOC.read_text()
