//! needsd: runs the monthly Matrix of Needs cycle of the UN Counter-Terrorism Committee
//! by email. See ARCHITECTURE.md for the map of the modules.

pub mod app;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod diff;
pub mod directory;
pub mod fsutil;
pub mod health;
pub mod lease;
pub mod locale;
pub mod mail;
pub mod matching;
pub mod model;
pub mod offer;
pub mod policy;
pub mod programme;
pub mod reader;
pub mod register;
pub mod review;
pub mod schedule;
pub mod settings;
pub mod spelling;
pub mod state;
pub mod store;
pub mod subscription;
pub mod token;
pub mod trust;
pub mod web;
pub mod workbook;
pub mod workflow;
