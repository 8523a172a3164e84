//! `include/outrig.h` is what cbindgen generates from `src/ffi/` now.
//!
//! Regenerate it after changing the C ABI: `OUTRIG_BLESS=1 cargo test --test header` (or
//! `make header`).

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let path = root.join("include/outrig.h");
    if std::env::var_os("OUTRIG_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write include/outrig.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    if committed != fresh {
        panic!(
            "include/outrig.h is not what cbindgen generates from src/ffi/ now; regenerate it \
             with `OUTRIG_BLESS=1 cargo test --test header` (or `make header`), review the \
             diff and commit it"
        );
    }
}
