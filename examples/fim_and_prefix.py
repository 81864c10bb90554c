"""The low-level client: FIM (fill in the middle) and chat prefix completion, both beta features.

    python examples/fim_and_prefix.py

``DeepSeekClient`` sends these to the ``/beta`` base URL by itself: FIM always, chat when the last message
is an assistant message with ``prefix: True``.
"""

from __future__ import annotations

import asyncio

from _backend import backend

from agentkit import DeepSeekClient


async def main() -> None:
    with backend():
        async with DeepSeekClient() as client:
            # FIM: the model writes what goes between prompt and suffix.
            fim = await client.fim(
                {
                    "model": "deepseek-chat",
                    "prompt": "def fib(n: int) -> int:\n",
                    "suffix": "\n\nprint(fib(10))\n",
                    "max_tokens": 128,
                }
            )
            print("FIM completion:")
            print(fim.choices[0].text)

            # Chat prefix completion: the answer must continue "```python\n"; stop at the closing fence.
            chat = await client.chat(
                {
                    "model": "deepseek-chat",
                    "messages": [
                        {"role": "user", "content": "Write a Python function that reverses a string."},
                        {"role": "assistant", "content": "```python\n", "prefix": True},
                    ],
                    "stop": ["```"],
                    "max_tokens": 256,
                }
            )
            print("Prefix completion:")
            print("```python\n" + (chat.choices[0].message.content or "") + "```")


if __name__ == "__main__":
    asyncio.run(main())
