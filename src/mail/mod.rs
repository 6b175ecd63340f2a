//! Mail: composing messages from templates (pure) and sending the outbox (I/O).

pub mod classify;
pub mod compose;
pub mod inbound;
pub mod outbound;
pub mod samples;
pub mod tls;
