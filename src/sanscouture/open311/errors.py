"""Open311 errors: the spec's error model (a list of `error` with `code` and `description`), not the API envelope."""


class Open311Error(Exception):
    """An error answered as `<errors><error><code>…</code><description>…</description></error></errors>` (or its JSON
    list), with the HTTP status the spec gives: 400 bad or missing argument, 403 bad api_key, 404 unknown object."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class BadRequest(Open311Error):
    def __init__(self, description: str) -> None:
        super().__init__(400, description)


class Forbidden(Open311Error):
    def __init__(self, description: str) -> None:
        super().__init__(403, description)


class NotFound(Open311Error):
    def __init__(self, description: str) -> None:
        super().__init__(404, description)
