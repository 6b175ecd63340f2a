//! The Matrix workbook: writing it (rust_xlsxwriter) and reading replies (calamine, CSV).
//! Pure: bytes in, bytes or values out; no database, no mail, no clock.

pub mod csv;
pub mod read;
pub mod sniff;
pub mod write;
