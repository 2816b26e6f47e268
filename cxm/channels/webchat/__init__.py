"""Website chat: a chat button on the brand's own site, answered from the care inbox.

The platform is our own server. A brand's `WebchatWidget` (one per website chat, behind a
`ChannelAccount` of platform `webchat`) is named in the page by its public key; a visitor who
starts a conversation gets a secret token (only its hash is stored) that every later call carries.
What the visitor writes is stored as a `WebchatMessage` and handed to the inbound sinks as a direct
message, so care files it into a case as it does every channel's; an agent's reply comes back
through care's outbox and the connector's `reply`, which stores it for the widget to fetch (once
per idempotency key) and, when the visitor has left and gave an address, e-mails it.

models      the widget, its visitors and their messages
services    every write: widgets, visitors, messages both ways, the agent typing
selectors   the reads the endpoints and the admin pages make
origins     which pages may call a widget's endpoints (CORS)
ratelimit   counters per visitor and per client address
endpoints   the widget's JSON endpoints (`/webchat/v1/<key>/...`)
views       the admin's "Website chat" pages and the demo site
"""
