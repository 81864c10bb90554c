"""Model Context Protocol: any MCP server's tools in an agent (``MCPServer``), and agentkit's tools
served to any MCP client (``agentkit mcp serve``). Needs the ``mcp`` extra: ``pip install 'agentkit[mcp]'``.
"""

from __future__ import annotations

try:
    import mcp as _sdk  # noqa: F401 (checked here, so a missing extra fails with the fix)
except ImportError as exc:  # pragma: no cover - the test environment has the extra
    raise ImportError("agentkit.mcp needs the MCP SDK: pip install 'agentkit[mcp]'") from exc

from ._connection import MCPServerError
from ._results import MCPToolError
from ._server import MCPServer, ServerOptions

__all__ = ["MCPServer", "MCPServerError", "MCPToolError", "ServerOptions"]
