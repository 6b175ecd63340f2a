//! The mail-lab tier, one test binary: real Postfix and Dovecot on loopback (started by
//! `common::maillab`, which says how to start them by hand when it cannot), `needsd run`
//! as a process killed with SIGKILL, and headless Chromium for the review UI.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

#[path = "../common/mod.rs"]
mod common;

mod adversary;
mod browser;
mod daemon;
mod failover;
mod faults;
mod inbound;
mod mail;
mod web;
