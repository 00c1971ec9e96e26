//! Checks that the local embedding model, which the core embeds with `include_bytes!`, has been fetched.

use std::path::Path;

const MODEL_DIR: &str = "model/potion-base-8M";
const FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

fn main() {
    println!("cargo:rerun-if-changed={MODEL_DIR}");
    for f in FILES {
        let p = Path::new(MODEL_DIR).join(f);
        println!("cargo:rerun-if-changed={}", p.display());
        if !p.is_file() {
            panic!(
                "the local embedding model is missing ({}): run scripts/fetch-model.sh from the repository root",
                p.display()
            );
        }
    }
}
