"""Flows at run time: saving definitions, starting and resuming sessions, applying what the engine says happened,
triggers, flow starts and the timers of waiting sessions."""
