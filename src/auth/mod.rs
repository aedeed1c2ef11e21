//! Authorization: what a server's challenge asks for. (Browser sign-in, the
//! token store and refresh build on this.)

pub mod challenge;
