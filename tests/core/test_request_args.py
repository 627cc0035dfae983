"""What pages and APIs read from a request (app/views/core/args.py), the one way."""
import pytest

from app.views.core.args import hours_text, int_arg, json_body
from app.workflows.core.errors import ValidationError


def test_query_numbers_hours_and_json_bodies(app):
    with app.test_request_context("/?year=2026&bad=二〇&far=99999"):
        assert (int_arg("year", 2000, 2100), int_arg("bad"), int_arg("far"),
                int_arg("missing")) == (2026, None, None, None)
    assert (hours_text(46.5), hours_text("4"), hours_text(None)) == ("46.5", "4.0", "")
    with app.test_request_context("/", method="POST", json={"class_id": 3}):
        assert json_body() == {"class_id": 3}
    for kwargs in ({"data": "x", "content_type": "text/plain"}, {"json": [1, 2]}, {}):
        with app.test_request_context("/", method="POST", **kwargs):
            with pytest.raises(ValidationError, match="请求体须为JSON对象"):
                json_body()
