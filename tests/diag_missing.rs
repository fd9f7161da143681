mod common;
use common::*;
#[test]
#[ignore]
fn diag() {
    let name = std::env::var("DIAG_FILE").unwrap();
    let shared = shared_dir().unwrap();
    let tsv =
        std::fs::read_to_string(shared.join("refs/public").join(format!("{name}.tsv"))).unwrap();
    let reference = tshark_messages(&tsv);
    let (ours, err) = decode(&shared.join("captures/public").join(&name));
    eprintln!("{}", String::from_utf8_lossy(&err));
    eprintln!("summary {:?}", ours.summary);
    let ours = ours.messages();
    for (k, n) in &reference {
        if ours.get(k).copied().unwrap_or(0) < *n {
            eprintln!("missing {:?} (xid {:#x})", k, k.1);
        }
    }
    let mut extra = 0;
    for (k, n) in &ours {
        if reference.get(k).copied().unwrap_or(0) < *n {
            extra += 1;
            if extra < 40 {
                eprintln!("extra {:?} (xid {:#x})", k, k.1);
            }
        }
    }
}
