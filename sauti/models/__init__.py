"""Tables only, one module per aggregate. Importing this package registers every table on ``Base.metadata``."""

from sauti.models.archive import Archive
from sauti.models.campaign import Campaign, CampaignEvent, CampaignFire
from sauti.models.channel import Channel, ChannelLog
from sauti.models.classifier import Classifier
from sauti.models.composing import AutoReply, MessageSignature, MessageTemplate
from sauti.models.contact import (
    BlockedNumber,
    Contact,
    ContactField,
    ContactGroup,
    ContactNote,
    ContactTag,
    ContactURN,
    ContactValue,
    GroupMember,
    OptOut,
)
from sauti.models.flow import Flow, FlowRun, FlowSession, FlowStart, FlowTimer, FlowTrigger
from sauti.models.flow_dependency import FlowDependency
from sauti.models.flow_webhook import FlowWebhookCall
from sauti.models.globals import Global
from sauti.models.message import Broadcast, Label, Media, Message, MessageLabel, Worker
from sauti.models.resthook import Resthook, ResthookEvent, ResthookSubscriber, SigningKey
from sauti.models.ticket import Ticket, TicketEvent, Topic, TopicTicketCount
from sauti.models.webhook import WebHook, WebhookAttempt, WebhookDelivery
from sauti.models.workspace import APIToken, Membership, User, Workspace

__all__ = [
    "APIToken",
    "Archive",
    "AutoReply",
    "BlockedNumber",
    "Broadcast",
    "Campaign",
    "CampaignEvent",
    "CampaignFire",
    "Channel",
    "ChannelLog",
    "Classifier",
    "Contact",
    "ContactField",
    "ContactGroup",
    "ContactNote",
    "ContactTag",
    "ContactURN",
    "ContactValue",
    "Flow",
    "FlowDependency",
    "FlowRun",
    "FlowSession",
    "FlowStart",
    "FlowTimer",
    "FlowTrigger",
    "FlowWebhookCall",
    "Global",
    "GroupMember",
    "Label",
    "Media",
    "Membership",
    "Message",
    "MessageLabel",
    "MessageSignature",
    "MessageTemplate",
    "OptOut",
    "Resthook",
    "ResthookEvent",
    "ResthookSubscriber",
    "SigningKey",
    "Ticket",
    "TicketEvent",
    "Topic",
    "TopicTicketCount",
    "User",
    "WebHook",
    "WebhookAttempt",
    "WebhookDelivery",
    "Worker",
    "Workspace",
]
