"""Flow actions: one module per action type, named after its JSON ``type``, registered in :data:`REGISTRY`.

This package reads and validates actions (:func:`read_action`); the session engine adds their execution (see
:mod:`sauti.engine.actions.base`, "Execution"). Importing the package imports every type module, which fills the
registry.

Typical use::

    action = read_action({"uuid": "…", "type": "send_msg", "text": "Hi @contact.first_name"})
    action.text, action.FLOW_CLASS, action.LOCALIZABLE      # 'Hi @contact.first_name', 'universal', (...)
"""

from __future__ import annotations

# the definition package first: the type modules use its readers, and it uses this package's base module
import sauti.engine.definition  # noqa: F401
from sauti.engine.actions import (
    add_contact_groups,
    add_contact_urn,
    add_input_labels,
    call_classifier,
    call_llm,
    call_resthook,
    call_webhook,
    enter_flow,
    open_ticket,
    play_audio,
    remove_contact_groups,
    request_optin,
    say_msg,
    send_broadcast,
    send_email,
    send_msg,
    set_contact_channel,
    set_contact_field,
    set_contact_language,
    set_contact_name,
    set_contact_status,
    set_contact_timezone,
    set_run_local,
    set_run_result,
    start_session,
    transfer_airtime,
)
from sauti.engine.actions.add_contact_groups import AddContactGroups
from sauti.engine.actions.add_contact_urn import AddContactURN
from sauti.engine.actions.add_input_labels import AddInputLabels
from sauti.engine.actions.base import (
    ALLOWED_FLOW_TYPES,
    REGISTRY,
    Action,
    FlowClass,
    ResultInfo,
    describe,
    executable_types,
    read_action,
    register,
)
from sauti.engine.actions.call_classifier import CallClassifier
from sauti.engine.actions.call_llm import CallLLM
from sauti.engine.actions.call_resthook import CallResthook
from sauti.engine.actions.call_webhook import CallWebhook
from sauti.engine.actions.enter_flow import EnterFlow
from sauti.engine.actions.open_ticket import OpenTicket
from sauti.engine.actions.play_audio import PlayAudio
from sauti.engine.actions.refs import (
    ChannelRef,
    ClassifierRef,
    ContactRef,
    Dependency,
    FieldRef,
    FlowRef,
    GroupRef,
    LabelRef,
    LLMRef,
    OptInRef,
    TemplateRef,
    TopicRef,
    UserRef,
)
from sauti.engine.actions.remove_contact_groups import RemoveContactGroups
from sauti.engine.actions.request_optin import RequestOptIn
from sauti.engine.actions.say_msg import SayMsg
from sauti.engine.actions.send_broadcast import SendBroadcast
from sauti.engine.actions.send_email import SendEmail
from sauti.engine.actions.send_msg import SendMsg
from sauti.engine.actions.set_contact_channel import SetContactChannel
from sauti.engine.actions.set_contact_field import SetContactField
from sauti.engine.actions.set_contact_language import SetContactLanguage
from sauti.engine.actions.set_contact_name import SetContactName
from sauti.engine.actions.set_contact_status import SetContactStatus
from sauti.engine.actions.set_contact_timezone import SetContactTimezone
from sauti.engine.actions.set_run_local import SetRunLocal
from sauti.engine.actions.set_run_result import SetRunResult
from sauti.engine.actions.start_session import StartSession
from sauti.engine.actions.transfer_airtime import TransferAirtime

MODULES = (
    add_contact_groups,
    add_contact_urn,
    add_input_labels,
    call_classifier,
    call_llm,
    call_resthook,
    call_webhook,
    enter_flow,
    open_ticket,
    play_audio,
    remove_contact_groups,
    request_optin,
    say_msg,
    send_broadcast,
    send_email,
    send_msg,
    set_contact_channel,
    set_contact_field,
    set_contact_language,
    set_contact_name,
    set_contact_status,
    set_contact_timezone,
    set_run_local,
    set_run_result,
    start_session,
    transfer_airtime,
)
"""The type modules, one per entry of :data:`REGISTRY`."""

__all__ = [
    "ALLOWED_FLOW_TYPES",
    "MODULES",
    "REGISTRY",
    "Action",
    "AddContactGroups",
    "AddContactURN",
    "AddInputLabels",
    "CallClassifier",
    "CallLLM",
    "CallResthook",
    "CallWebhook",
    "ChannelRef",
    "ClassifierRef",
    "ContactRef",
    "Dependency",
    "EnterFlow",
    "FieldRef",
    "FlowClass",
    "FlowRef",
    "GroupRef",
    "LLMRef",
    "LabelRef",
    "OpenTicket",
    "OptInRef",
    "PlayAudio",
    "RemoveContactGroups",
    "RequestOptIn",
    "ResultInfo",
    "SayMsg",
    "SendBroadcast",
    "SendEmail",
    "SendMsg",
    "SetContactChannel",
    "SetContactField",
    "SetContactLanguage",
    "SetContactName",
    "SetContactStatus",
    "SetContactTimezone",
    "SetRunLocal",
    "SetRunResult",
    "StartSession",
    "TemplateRef",
    "TopicRef",
    "TransferAirtime",
    "UserRef",
    "describe",
    "executable_types",
    "read_action",
    "register",
]
