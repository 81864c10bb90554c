"""Bodies the front end cannot read: serde's words and positions, in each era's status and body shape."""

from __future__ import annotations

import httpx
import pytest

from agentkit.sim import Simulator

pytestmark = pytest.mark.anyio

DESERIALIZE = "Failed to deserialize the JSON body into the target type: "
PARSE = "Failed to parse the request body as JSON: "
HEAD = b'{"model":"deepseek-chat","messages":['  # 37 bytes: the first message starts at column 37
USER = b'{"role":"user","content":"Hi"}'
CALL = b'{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}'
ANSWER = b'{"role":"tool","tool_call_id":"c1","content":"ok"}'

CASES = [
    # pig-mesh/deepseek4j #40: "messages[1]: missing field `content` at line 8 column 5", placed at the
    # end of the message because serde reads a tagged message whole before its fields
    (
        "missing content",
        HEAD + b'{"role":"user"}]}',
        "data",
        "messages[0]: missing field `content` at line 1 column 52",
    ),
    # decolua/9router #773: the role is named and placed itself; V4 lists latest_reminder
    (
        "unknown role",
        HEAD + b'{"role":"developer","content":"x"}]}',
        "data",
        "messages[0].role: unknown variant `developer`, expected one of `system`, `user`, `assistant`, `tool`"
        "{reminder} at line 1 column 56",
    ),
    # MGdaasLab/WHartTest #62, tailcallhq/forgecode #2008: an array where a string belongs
    (
        "system content as parts",
        HEAD + b'{"role":"system","content":[{"type":"text","text":"x"}]},' + USER + b"]}",
        "data",
        "messages[0]: invalid type: sequence, expected a string at line 1 column 93",
    ),
    # the malformed bodies that crashed the simulator with a plain-text 500 (issue 12, item 4)
    (
        "messages a string",
        b'{"model":"deepseek-chat","messages":"hi"}',
        "data",
        'messages: invalid type: string "hi", expected a sequence at line 1 column 40',
    ),
    (
        "messages an object",
        b'{"model":"deepseek-chat","messages":{"role":"user"}}',
        "data",
        "messages: invalid type: map, expected a sequence at line 1 column 36",
    ),
    # carlrobertoh/ProxyAI #907: "missing field `messages` at line 4 column 1"
    ("messages absent", b'{"model":"deepseek-chat"}', "data", "missing field `messages` at line 1 column 25"),
    (
        "thinking a boolean",
        HEAD + USER + b'],"thinking":true}',
        "data",
        "thinking: invalid type: boolean `true`, expected struct Thinking at line 1 column 84",
    ),
    (
        "top_logprobs negative",
        HEAD + USER + b'],"top_logprobs":-1}',
        "data",
        "top_logprobs: invalid value: integer `-1`, expected u8 at line 1 column 86",
    ),
    ("not JSON", b"{not json", "syntax", "key must be a string at line 1 column 2"),
    ("empty", b"", "syntax", "EOF while parsing a value at line 1 column 0"),
    ("trailing comma", b'{"model":"deepseek-chat",}', "syntax", "trailing comma at line 1 column 26"),
    # what Python's json takes and serde_json does not: deep nesting (its limit is 128), NaN, 1e400
    ("nested 200 deep", b"[" * 200 + b"]" * 200, "syntax", "recursion limit exceeded at line 1 column 128"),
    ("NaN", HEAD + USER + b'],"temperature":NaN}', "syntax", "expected value at line 1 column 84"),
    ("1e400", HEAD + USER + b'],"max_tokens":1e400}', "syntax", "number out of range at line 1 column 87"),
    # serde_json refuses escapes that make no character (Python's json takes them)
    (
        "high surrogate alone",
        HEAD + b'{"role":"user","content":"\\ud800"}]}',
        "syntax",
        "unexpected end of hex escape at line 1 column 70",
    ),
    (
        "low surrogate alone",
        HEAD + b'{"role":"user","content":"\\udcff"}]}',
        "syntax",
        "lone leading surrogate in hex escape at line 1 column 69",
    ),
]


async def post(era: str, body: bytes) -> httpx.Response:
    async with Simulator(era=era).http_client() as client:  # type: ignore[arg-type]
        return await client.post(
            "/chat/completions", content=body, headers={"content-type": "application/json"}
        )


@pytest.mark.parametrize(("body", "kind", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_r1_answers_in_plain_text_422_or_400(body: bytes, kind: str, message: str) -> None:
    """R1 era: axum's own answers, text/plain, 422 for the wrong shape and 400 for bytes that are not JSON
    (carlrobertoh/ProxyAI #907 "Code: 422, Body: Failed to deserialize..."; siyuan-note/siyuan #14254,
    whose client could not read the body as JSON)."""
    response = await post("deepseek-r1", body)
    assert response.status_code == (422 if kind == "data" else 400)
    assert response.headers["content-type"].startswith("text/plain")
    lead = DESERIALIZE if kind == "data" else PARSE
    assert response.text == lead + message.format(reminder="")


@pytest.mark.parametrize("era", ["deepseek-v3.2", "deepseek-v4"])
@pytest.mark.parametrize(("body", "kind", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_later_eras_answer_400_json(era: str, body: bytes, kind: str, message: str) -> None:
    """V3.2 and V4: the same texts as a 400 invalid_request_error body (tailcallhq/forgecode #2008,
    MGdaasLab/WHartTest #62, decolua/9router #773)."""
    response = await post(era, body)
    assert response.status_code == 400
    reminder = ", `latest_reminder`" if era == "deepseek-v4" else ""
    lead = DESERIALIZE if kind == "data" else PARSE
    assert response.json() == {
        "error": {
            "message": lead + message.format(reminder=reminder),
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_request_error",
        }
    }


@pytest.mark.parametrize(
    ("era", "status"), [("deepseek-r1", 422), ("deepseek-v3.2", 200), ("deepseek-v4", 200)]
)
async def test_assistant_message_without_content_per_era(era: str, status: int) -> None:
    """litellm drops ``content: null`` from tool-call messages; V3.2 and V4 take them (HKUDS/nanobot #194
    and agent0ai/agent-zero #1732 get past it to the reasoning errors), the R1-era API did not
    (pig-mesh/deepseek4j #40/#41)."""
    assistant = b'{"role":"assistant","tool_calls":[' + CALL + b"]}"
    body = HEAD + USER + b"," + assistant + b"," + ANSWER + b"]}"
    response = await post(era, body)
    assert response.status_code == status, response.text
    if era == "deepseek-r1":
        assert response.text == DESERIALIZE + "messages[1]: missing field `content` at line 1 column 174"


async def test_reasoning_effort_is_a_checked_enum_in_v4_only() -> None:
    """V4 answers an unknown effort with serde's list (live probes kept by API gateways, 2026-09), and a
    non-string with its parse error; before V4 the field was unknown, so ignored."""
    bogus = HEAD + USER + b'],"reasoning_effort":"bogus"}'
    response = await post("deepseek-v4", bogus)
    assert response.json()["error"]["message"] == (
        DESERIALIZE + "reasoning_effort: unknown variant `bogus`, expected one of `none`, `minimal`, `low`, "
        "`medium`, `high`, `xhigh`, `max` at line 1 column 95"
    )
    number = await post("deepseek-v4", HEAD + USER + b'],"reasoning_effort":3}')
    assert number.json()["error"]["message"] == PARSE + "reasoning_effort: expected value at line 1 column 89"
    assert (await post("deepseek-v3.2", bogus)).status_code == 200


async def test_json_schema_response_format_per_era() -> None:
    """R1 era: a deserializer's own words (browser-use/browser-use #215, 2025-01, as 422: dzhng/deep-research
    #22); V3.2 and V4: a 400 rule (ItzCrazyKns/Vane #969, 2026-01; llm-exe/llm-exe #662, 2026-07)."""
    body = HEAD + USER + b'],"response_format":{"type":"json_schema"}}'
    r1 = await post("deepseek-r1", body)
    assert r1.status_code == 422
    assert r1.text == (
        DESERIALIZE
        + "response_format: response_format.type `json_schema` is unavailable now at line 1 column 109"
    )
    for era in ("deepseek-v3.2", "deepseek-v4"):
        later = await post(era, body)
        assert later.status_code == 400
        assert later.json()["error"]["message"] == "This response_format type is unavailable now"


async def test_an_escaped_backslash_before_u_is_text_not_a_surrogate() -> None:
    """agentkit writes a lone surrogate from a tool as the visible text ``\\udcff``: that is fine JSON."""
    body = HEAD + b'{"role":"user","content":"report-\\\\udcff.txt"}]}'
    response = await post("deepseek-v4", body)
    assert response.status_code == 200, response.text
