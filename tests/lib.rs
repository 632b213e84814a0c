//! End-to-end tests of Warrant: they start the real `warrant` binary on a free loopback
//! port with a scratch database and talk to it as operators and clients do. The tests live
//! in `it/`; this library is empty.

#![forbid(unsafe_code)]
