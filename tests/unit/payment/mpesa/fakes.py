"""A stand-in for requests.Session: replays recorded Daraja answers and records each request."""

import json
from dataclasses import dataclass, field

import requests


def http_response(status: int, body: dict | str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if isinstance(body, dict):
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
    else:
        response._content = body.encode()
        response.headers["Content-Type"] = "text/html"
    response.encoding = "utf-8"
    return response


@dataclass
class SentRequest:
    method: str
    url: str
    headers: dict
    json: dict | None
    params: dict | None
    auth: tuple | None
    timeout: tuple


@dataclass
class FakeDaraja:
    """Answers by path: a list of answers per path is consumed in order (the last one repeats).

    An answer is ``(status, body)``, an exception instance to raise, or a callable giving one.
    """

    answers: dict[str, list] = field(default_factory=dict)
    sent: list[SentRequest] = field(default_factory=list)

    def on(self, path: str, *answers) -> "FakeDaraja":
        self.answers[path] = list(answers)
        return self

    def request(
        self, method, url, *, headers=None, json=None, params=None, auth=None, timeout=None
    ):
        path = "/" + url.split("/", 3)[3]
        self.sent.append(SentRequest(method, url, headers or {}, json, params, auth, timeout))
        queue = self.answers[path]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(answer):
            answer = answer()
        if isinstance(answer, BaseException):
            raise answer
        status, body = answer
        return http_response(status, body)

    def to(self, path: str) -> list[SentRequest]:
        return [request for request in self.sent if request.url.endswith(path)]
