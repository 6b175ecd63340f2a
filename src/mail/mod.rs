//! Mail: composing messages from templates (pure) and sending the outbox (I/O).

pub mod compose;
pub mod inbound;
pub mod outbound;
