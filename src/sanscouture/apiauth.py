"""API authentication shared by the routers (defined in sanscouture.accounts.api_auth)."""

from sanscouture.accounts.api_auth import (
    AgentSession,
    Anonymous,
    ApiTokenAuth,
    agent_or_token,
    agent_session,
    anonymous,
    api_token_auth,
)

__all__ = [
    "AgentSession",
    "Anonymous",
    "ApiTokenAuth",
    "agent_or_token",
    "agent_session",
    "anonymous",
    "api_token_auth",
]
