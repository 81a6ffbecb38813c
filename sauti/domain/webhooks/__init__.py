"""Web hooks: subscriptions to every message sent or received in a workspace, and the deliveries each message
event makes for them."""
