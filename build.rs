//! Gives the shared library its SONAME, so programs linked against `liboutrig.so` record
//! `liboutrig.so.0` and keep working across compatible upgrades.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        // The SONAME carries the major version only: it changes with an incompatible C ABI.
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liboutrig.so.{major}");
    }
}
