"""A mattermost-push-proxy in Python: the same endpoints, JSON, config keys, error strings, log
lines and metric names (mattermost-push.md §2–§6), sending to APNs over HTTP/2 and to FCM HTTP v1,
in the HPNS, TPNS or EAS role (§9).

Sans-I/O parts (core, models, payload, throttle, metrics, logs formatting, settings_file) have
no sockets; ``PushProxy`` (aiohttp) and the two senders are the adapters around them.
"""

from __future__ import annotations

from .config import AndroidPushSettings, AppleAuth, ApplePushSettings, ProxyConfig, Role
from .core import fcm_retryable, map_apns_result, map_fcm_error, plan_ack, plan_send
from .deployment import PUBLIC_APP, AppIds, ProxyDeployment, ProxyKeys
from .errors import BadRequestBody, ProxyConfigError, ProxyError, TargetInitError
from .fcm_sender import FcmSender
from .logs import LogWriter, ProxyLog, format_json, format_plain, redact
from .metrics import ProxyMetrics
from .models import PushAck, PushNotification, PushResponse, PushStatus, PushType, Target
from .oauth import ServiceAccountKey, service_account_json
from .payload import build_apns, build_fcm
from .retry import RetryPolicy
from .sender import ApnsSender
from .server import PushProxy
from .settings_file import sample_config
from .throttle import Throttle, ThrottleDecision
from .timer import LoopTimer, ManualTimer, Timer

__all__ = [
    "AndroidPushSettings", "ApnsSender", "AppIds", "AppleAuth", "ApplePushSettings", "BadRequestBody", "FcmSender",
    "LogWriter", "LoopTimer", "ManualTimer", "PUBLIC_APP", "ProxyConfig", "ProxyConfigError", "ProxyDeployment",
    "ProxyError", "ProxyKeys", "ProxyLog", "ProxyMetrics", "PushAck", "PushNotification", "PushProxy",
    "PushResponse", "PushStatus", "PushType", "RetryPolicy", "Role", "ServiceAccountKey", "Target",
    "TargetInitError", "Throttle", "ThrottleDecision", "Timer", "build_apns", "build_fcm", "fcm_retryable",
    "format_json", "format_plain", "map_apns_result", "map_fcm_error", "plan_ack", "plan_send", "redact",
    "sample_config", "service_account_json",
]
