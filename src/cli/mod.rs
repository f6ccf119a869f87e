//! The command line's own modules (the binary's, not the library's): what
//! each command does with its parsed options ([`commands`]), and the exit
//! statuses ([`exit`]).

pub mod commands;
pub mod exit;
