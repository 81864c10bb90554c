"""Ready-made tools for agentkit agents (shipped as ``agentkit.tools``)."""
