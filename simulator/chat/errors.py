"""Mattermost API errors: one exception class, and the table of error ids it can carry.

The ids and English messages are the server's i18n ids and texts (``server/i18n/en.json``);
the adapter renders ``AppError.to_dict`` as the JSON error body with ``status_code`` as HTTP
status.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """The Mattermost error ids this fake can raise; ``.status`` and ``.message`` come from the table."""

    USERNAME_EXISTS = "app.user.save.username_exists.app_error"
    EMAIL_EXISTS = "app.user.save.email_exists.app_error"
    USERNAME_INVALID = "model.user.is_valid.username.app_error"
    USER_MISSING = "app.user.missing_account.const"
    INVALID_CREDENTIALS = "api.user.login.invalid_credentials_email_username"
    SESSION_EXPIRED = "api.context.session_expired.app_error"
    INVALID_BODY_PARAM = "api.context.invalid_body_param.app_error"
    NO_PERMISSION = "api.context.permissions.app_error"
    TEAM_EXISTS = "app.team.save.existing.app_error"
    TEAM_MISSING = "app.team.get.find.app_error"
    CHANNEL_MISSING = "app.channel.get.existing.app_error"
    CHANNEL_EXISTS = "store.sql_channel.save_channel.exists.app_error"
    MEMBER_MISSING = "app.channel.get_member.missing.app_error"
    GROUP_SIZE = "api.channel.create_group.bad_size.app_error"
    POST_MISSING = "app.post.get.app_error"
    ROOT_ID_INVALID = "api.post.create_post.root_id.app_error"
    ACK_PARSE = "api.push_notifications_ack.message.parse.app_error"
    PUSH_DISABLED = "api.push_notification.disabled.app_error"
    ID_LOADED_UNAVAILABLE = "api.system.id_loaded.not_available.app_error"
    ACK_FORWARD = "api.push_notifications_ack.forward.app_error"
    INVALID_URL_PARAM = "api.context.invalid_url_param.app_error"
    NOT_FOUND = "api.context.404.app_error"
    METHOD_NOT_ALLOWED = "api.context.405.app_error"
    UNKNOWN = "api.context.unknown.app_error"
    CLIENT_CONFIG_FORMAT = "api.config.client.old_format.app_error"
    TEAM_NAME_INVALID = "model.team.is_valid.name.app_error"
    TEAM_MEMBER_MISSING = "app.team.get_member.missing.app_error"
    CHANNEL_NAME_INVALID = "model.channel.is_valid.2_or_more.app_error"
    CHANNEL_DISPLAY_NAME_INVALID = "model.channel.is_valid.display_name.app_error"
    CHANNEL_TYPE_INVALID = "model.channel.is_valid.type.app_error"
    ADD_TO_CHANNEL_TYPE = "api.channel.add_user_to_channel.type.app_error"
    PUSH_LEVEL_INVALID = "model.channel_member.is_valid.push_level.app_error"
    UNREAD_LEVEL_INVALID = "model.channel_member.is_valid.unread_level.app_error"
    WS_NOT_AUTHENTICATED = "api.web_socket_router.not_authenticated.app_error"
    WS_BAD_ACTION = "api.web_socket_router.bad_action.app_error"

    @property
    def status(self) -> int:
        """The HTTP status the server answers with."""
        return _TABLE[self][0]

    @property
    def message(self) -> str:
        """The English message template (``{name}`` placeholders)."""
        return _TABLE[self][1]


_TABLE: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.USERNAME_EXISTS: (400, "An account with that username already exists."),
    ErrorCode.EMAIL_EXISTS: (400, "An account with that email already exists."),
    ErrorCode.USERNAME_INVALID: (400, "Invalid username."),
    ErrorCode.USER_MISSING: (404, "Unable to find the user."),
    ErrorCode.INVALID_CREDENTIALS: (401, "Enter a valid email or username and/or password."),
    ErrorCode.SESSION_EXPIRED: (401, "Invalid or expired session, please login again."),
    ErrorCode.INVALID_BODY_PARAM: (400, "Invalid or missing {name} in request body."),
    ErrorCode.NO_PERMISSION: (403, "You do not have the appropriate permissions."),
    ErrorCode.TEAM_EXISTS: (400, "A team with that name already exists."),
    ErrorCode.TEAM_MISSING: (404, "Unable to find the existing team."),
    ErrorCode.CHANNEL_MISSING: (404, "Unable to find the existing channel."),
    ErrorCode.CHANNEL_EXISTS: (400, "A channel with that name already exists on the same team."),
    ErrorCode.MEMBER_MISSING: (404, "No channel member found for that user ID and channel ID."),
    ErrorCode.GROUP_SIZE: (400, "Group message channels must contain at least 3 and no more than 8 users."),
    ErrorCode.POST_MISSING: (404, "Unable to get the post."),
    ErrorCode.ROOT_ID_INVALID: (400, "Invalid RootId parameter."),
    ErrorCode.ACK_PARSE: (400, "An error occurred building the push notification ack message."),
    ErrorCode.PUSH_DISABLED: (501, "Push Notifications are disabled on this server."),
    ErrorCode.ID_LOADED_UNAVAILABLE: (302, "ID loaded push notifications are not available on this server."),
    ErrorCode.ACK_FORWARD: (500, "An error occurred sending the receipt delivery to the push notification service."),
    ErrorCode.INVALID_URL_PARAM: (400, "Invalid or missing {name} parameter in request URL."),
    ErrorCode.NOT_FOUND: (404, "Sorry, we could not find the page."),
    ErrorCode.METHOD_NOT_ALLOWED: (405, "Method not allowed."),
    ErrorCode.UNKNOWN: (500, "An unknown error has occurred."),
    ErrorCode.CLIENT_CONFIG_FORMAT: (501, "New format for the client configuration is not supported yet. "
                                          "Please specify format=old in the query string."),
    ErrorCode.TEAM_NAME_INVALID: (400, "Invalid name."),
    ErrorCode.TEAM_MEMBER_MISSING: (404, "No team member found for that user ID and team ID."),
    ErrorCode.CHANNEL_NAME_INVALID: (400, "Name must be 2 or more lowercase alphanumeric characters."),
    ErrorCode.CHANNEL_DISPLAY_NAME_INVALID: (400, "Invalid display name."),
    ErrorCode.CHANNEL_TYPE_INVALID: (400, "Invalid type."),
    ErrorCode.ADD_TO_CHANNEL_TYPE: (400, "Can not add user to this channel type."),
    ErrorCode.PUSH_LEVEL_INVALID: (400, "Invalid push notification level."),
    ErrorCode.UNREAD_LEVEL_INVALID: (400, "Invalid mark unread level."),
    ErrorCode.WS_NOT_AUTHENTICATED: (401, "Not authenticated."),
    ErrorCode.WS_BAD_ACTION: (500, "Unknown action."),
}


class AppError(Exception):
    """A Mattermost API error (``model.AppError``): i18n id, English message, HTTP status."""

    def __init__(self, *, id: str, message: str, status_code: int, detailed_error: str = "") -> None:
        super().__init__(f"{id}: {message}")
        self.id = id
        self.message = message
        self.status_code = status_code
        self.detailed_error = detailed_error

    @classmethod
    def of(cls, code: ErrorCode, *, detailed_error: str = "", **params: str) -> AppError:
        """The error for a table entry, with ``params`` filled into the message."""
        return cls(id=code.value, message=code.message.format(**params), status_code=code.status,
                   detailed_error=detailed_error)

    def to_dict(self, request_id: str) -> dict[str, object]:
        """The JSON error body the server sends."""
        return {"id": self.id, "message": self.message, "detailed_error": self.detailed_error,
                "request_id": request_id, "status_code": self.status_code}
