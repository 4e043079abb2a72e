"""The MCP endpoint (``/mcp``, streamable HTTP) and the OAuth 2.1 authorization server in front of it.

Built on the official ``mcp`` SDK: ``MCPServer`` with an ``auth_server_provider`` serves the
authorization-server metadata (RFC 8414), the protected-resource metadata (RFC 9728), dynamic
client registration (RFC 7591), ``/authorize``, ``/token`` (authorization code with PKCE S256,
refresh) and ``/revoke``, and checks bearer tokens on ``/mcp``.

- ``provider``: the OAuth provider. It keeps nothing: it stores and decides through identity's
  ``McpOAuth`` contract (docs/decisions/0007-mcp-oauth.md). Also the MCP token types and their
  verifier, and the ASGI wrappers that report every refusal of the SDK's OAuth endpoints (which
  answer in OAuth's own error format, RFC 6749 §5.2, as MCP clients expect) to identity's
  security log.
- ``consent``: the consent page (``/oauth/consent``) between ``/authorize`` and the client's
  redirect URI: the person signs in, picks one of their projects and the scopes, and approves or
  denies. The pending request travels signed (so nothing is stored before consent), and the form
  that approves carries a second signed, short-lived value tying the signed-in person to that
  request.
- ``endpoint``: :class:`McpEndpoint`, which puts it together and routes it in the gateway.
- ``tools`` registers every domain's tools (identity's own there, planning's in
  ``planning_tools``); ``calls`` is what each needs. Tools act as an ``mcp`` principal: the
  grant's person, its one project, their current role there and the granted scopes.
"""

from gateway.mcp.endpoint import McpEndpoint

__all__ = ["McpEndpoint"]
