"""Permission checks of the default Mattermost permission scheme, as far as this fake needs them.

Rule: pure functions over the ``Directory``; a refusal is the server's 403
``api.context.permissions.app_error`` with the missing permission named in ``detailed_error``.
System admins pass every check (they hold every permission in the default scheme).
"""

from __future__ import annotations

from simulator.chat.directory import Directory
from simulator.chat.errors import AppError, ErrorCode
from simulator.chat.models import Channel, ChannelType, User


def refuse(permission: str) -> AppError:
    """The 403 the server answers when ``permission`` is missing."""
    return AppError.of(ErrorCode.NO_PERMISSION, detailed_error=f"permission={permission}")


def require_admin(actor: User) -> None:
    """``manage_system``."""
    if not actor.is_admin:
        raise refuse("manage_system")


def require_user(actor: User, user_id: str) -> None:
    """``SessionHasPermissionToUser``: oneself, or an admin (``edit_other_users``)."""
    if actor.id != user_id and not actor.is_admin:
        raise refuse("edit_other_users")


def require_team(directory: Directory, actor: User, team_id: str) -> None:
    """``view_team``: a team member (the team must exist: 404 first)."""
    directory.team(team_id)
    if not directory.is_team_member(team_id, actor.id) and not actor.is_admin:
        raise refuse("view_team")


def can_read(directory: Directory, actor: User, channel: Channel) -> bool:
    """``read_channel``: members; for open channels, any member of the team."""
    if actor.is_admin or actor.id in directory.members.get(channel.id, {}):
        return True
    return channel.type is ChannelType.OPEN and directory.is_team_member(channel.team_id, actor.id)


def require_read(directory: Directory, actor: User, channel_id: str) -> Channel:
    """The channel (404 if unknown), or 403 when the actor may not read it."""
    channel = directory.channel(channel_id)
    if not can_read(directory, actor, channel):
        raise refuse("read_channel")
    return channel


def require_post(directory: Directory, actor: User, channel_id: str) -> None:
    """``create_post``: only members post (an unknown channel is a 403, as the server checks permission first)."""
    if actor.id not in directory.members.get(channel_id, {}):
        raise refuse("create_post")


def require_add_member(directory: Directory, actor: User, channel: Channel, user_id: str) -> None:
    """Adding to a channel: open ones need team membership (self-join too), private ones channel membership."""
    if channel.type in (ChannelType.DIRECT, ChannelType.GROUP):
        raise AppError.of(ErrorCode.ADD_TO_CHANNEL_TYPE)
    if actor.is_admin:
        return
    if channel.type is ChannelType.OPEN:
        if not directory.is_team_member(channel.team_id, actor.id):
            raise refuse("join_public_channels" if actor.id == user_id else "manage_public_channel_members")
    elif actor.id not in directory.members.get(channel.id, {}):
        raise refuse("manage_private_channel_members")
    if not directory.is_team_member(channel.team_id, user_id):
        raise AppError.of(ErrorCode.TEAM_MEMBER_MISSING, detailed_error=f"user_id={user_id}")
