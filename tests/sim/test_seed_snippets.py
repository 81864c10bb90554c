"""Acceptance: the seed documents' snippets run unchanged against the simulator (R1 era, as the seeds are),
with only ``base_url`` and ``api_key`` replaced. The snippets are read from the seed files themselves."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.sim import SIM_API_KEY, Simulator, serve

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
"""The project's seed documents live in shared/, beside the repository (as in CI), not in it."""
if not SEEDS.is_dir():
    pytest.skip(f"the seed documents are not at {SEEDS} (shared/ beside the repo)", allow_module_level=True)
GUIDES = (SEEDS / "002_b37a04a4242d9cfa.txt").read_text()
FIM_PAGE = (SEEDS / "001_1085c158d1b31919.txt").read_text()


def snippet(text: str, start: str, end: str) -> str:
    """The seed's code from ``start`` through the first ``end`` after it, exactly as printed."""
    begin = text.index(start)
    return text[begin : text.index(end, begin) + len(end)]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(Simulator(era="deepseek-r1")) as url:
        yield url


def localize(code: str, base_url: str) -> str:
    for key in ('"<DeepSeek API Key>"', '"<your api key>"', '"<your API key>"'):
        code = code.replace(key, f'"{SIM_API_KEY}"')
    return code.replace('"https://api.deepseek.com/beta"', f'"{base_url}/beta"').replace(
        '"https://api.deepseek.com"', f'"{base_url}"'
    )


def run(code: str, base_url: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "seed_snippet"}
    exec(compile(localize(code, base_url), "<seed>", "exec"), namespace)
    return namespace


FIRST_CALL = snippet(
    GUIDES, "# Please install OpenAI SDK first", "print(response.choices[0].message.content)"
)
REASONER = snippet(
    GUIDES,
    'from openai import OpenAI\nclient = OpenAI(api_key="<DeepSeek API Key>", '
    'base_url="https://api.deepseek.com")\n\n# Round 1\nmessages = [{"role": "user", "content": '
    '"9.11 and 9.8, which is greater?"}]\nresponse = client.chat.completions.create(\n'
    '    model="deepseek-reasoner",\n    messages=messages\n)',
    "# ...",
)
_STREAM_LOOP = GUIDES.index('    stream=True\n)\n\nreasoning_content = ""')
REASONER_STREAM = snippet(
    GUIDES[GUIDES.rindex("from openai import OpenAI", 0, _STREAM_LOOP) :],
    "from openai import OpenAI",
    "# ...",
)
MULTI_ROUND = snippet(
    GUIDES,
    'from openai import OpenAI\nclient = OpenAI(api_key="<DeepSeek API Key>", '
    'base_url="https://api.deepseek.com")\n\n# Round 1\nmessages = [{"role": "user", "content": '
    "\"What's the highest",
    'print(f"Messages Round 2: {messages}")',
)
PREFIX = snippet(
    GUIDES,
    'from openai import OpenAI\n\nclient = OpenAI(\n    api_key="<your api key>"',
    "print(response.choices[0].message.content)",
)
CREATE = snippet(
    GUIDES,
    "from openai import OpenAI\n\n# for backward compatibility",
    "print(response.choices[0].message.content)",
)


def test_first_call(base_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(FIRST_CALL, base_url)
    assert capsys.readouterr().out == "Hello! How can I help you today?\n"


def test_create_chat_completion(base_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(CREATE, base_url)
    assert capsys.readouterr().out == "Hello! How can I help you today?\n"


def test_reasoner_multi_round_with_reasoning_dropped(base_url: str) -> None:
    namespace = run(REASONER, base_url)
    assert namespace["reasoning_content"] and namespace["content"]
    messages = namespace["messages"]
    assert isinstance(messages, list) and [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "reasoning_content" not in messages[1]


def test_reasoner_streaming_snippet_fails_as_it_would_on_the_real_api(base_url: str) -> None:
    """The seed's streaming loop treats a falsy ``reasoning_content`` as an answer delta. DeepSeek's first
    chunk is ``{"role": "assistant", "content": null, "reasoning_content": ""}`` (recorded in the
    cassettes), so ``content += None`` raises on the real API too; the simulator reproduces that."""
    with pytest.raises(TypeError, match="NoneType"):
        run(REASONER_STREAM, base_url)


def test_multi_round_chat(base_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(MULTI_ROUND, base_url)
    out = capsys.readouterr().out
    assert out.startswith("Messages Round 1: ") and "Messages Round 2: " in out


def test_prefix_completion(base_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(PREFIX, base_url)
    out = capsys.readouterr().out
    assert out.startswith("def quick_sort(arr):") and "```" not in out


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(
    ("page", "start", "kind"),
    [
        (GUIDES, "curl https://api.deepseek.com/chat/completions", "chat.completion"),
        (
            FIM_PAGE,
            "curl --location --request POST 'https://api.deepseek.com/beta/completions'",
            "text_completion",
        ),
    ],
)
def test_curl_snippets(base_url: str, page: str, start: str, kind: str) -> None:
    code = snippet(page, start, "}'").replace("https://api.deepseek.com", base_url)
    code = code.replace("<DeepSeek API Key>", SIM_API_KEY).replace("Bearer '", f"Bearer {SIM_API_KEY}'")
    result = subprocess.run(["bash", "-c", code + " --silent"], capture_output=True, text=True, timeout=30)
    assert json.loads(result.stdout)["object"] == kind, result.stdout + result.stderr


def test_snippets_are_the_seed_text() -> None:
    for code in (FIRST_CALL, REASONER, REASONER_STREAM, MULTI_ROUND, PREFIX, CREATE):
        assert code in GUIDES and code.startswith(("from openai import OpenAI", "# Please install"))
