//! The application tier, one test binary: needsd's workflows in this process over one
//! `App` (`harness::TestApp`: a temporary database, the file outbox, a Maildir inbox and a
//! test clock), the `needsd` binary on project folders, workbooks made and read by
//! LibreOffice and openpyxl, the mail fixtures and the rendered mails. No mail server:
//! the `lab` binary proves the transports and the kills against real Postfix and Dovecot.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

#[path = "../common/mod.rs"]
mod common;

mod harness;
mod intake;

mod cli;
mod compat;
mod daemon_lock;
mod db_copy;
mod eml_fixtures;
mod faults;
mod mail_snapshots;
mod month;
mod parties_data;
mod review_cli;
mod roundtrip;
mod subscriptions;
