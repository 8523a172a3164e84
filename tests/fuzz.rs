//! Property tests for record and id parsing: any record we can write reads back equal, and no
//! input, however hostile, makes a parser panic.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use outrig::{ErrorKind, NewSession, Session, SessionId};
use proptest::prelude::*;

/// Ids as generated, and arbitrary valid ones.
fn id() -> impl Strategy<Value = SessionId> {
    "[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,40}".prop_map(|s| SessionId::parse(&s).unwrap())
}

/// Times across the whole range a record can hold, to the nanosecond.
fn time() -> impl Strategy<Value = SystemTime> {
    (0u64..253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(s, n)| SystemTime::UNIX_EPOCH + Duration::new(s, n))
}

fn text() -> impl Strategy<Value = String> {
    // Any unicode, control characters and quotes included.
    any::<String>().prop_filter("non-empty", |s| !s.is_empty())
}

prop_compose! {
    fn record()(
        id in id(),
        started in time(),
        ended in proptest::option::of(time()),
        container in text(),
        sidecars in proptest::collection::vec(text(), 0..4),
        image in text(),
        config in proptest::option::of(text()),
        agent in proptest::option::of(text()),
        working in text(),
        session_dir in text(),
        exit in proptest::option::of(any::<i32>()),
    ) -> Session {
        let mut new = NewSession::new(container, image, PathBuf::from(working)).started_at(started);
        new.sidecar_container_names = sidecars;
        new.image_config_name = config;
        new.agent_name = agent;
        let json = serde_json::json!({
            "id": id.as_str(),
            "started_at": jiff::Timestamp::try_from(started).unwrap().to_string(),
            "container_name": new.container_name,
            "sidecar_container_names": new.sidecar_container_names,
            "image_tag": new.image_tag,
            "image_config_name": new.image_config_name,
            "agent_name": new.agent_name,
            "working_dir": new.working_dir.to_str().unwrap(),
            "session_dir": session_dir,
            "ended_at": ended.map(|t| jiff::Timestamp::try_from(t).unwrap().to_string()),
            "exit_code": exit,
        });
        Session::from_json(&serde_json::to_vec(&json).unwrap()).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("OUTRIG_STRESS").map_or(512, |_| 20_000)
    ))]

    #[test]
    fn written_records_read_back_equal(r in record()) {
        let bytes = r.to_json().unwrap();
        let back = Session::from_json(&bytes).unwrap();
        prop_assert_eq!(&back, &r);
        // ...and writing again gives the same bytes.
        prop_assert_eq!(back.to_json().unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = Session::from_json(&bytes) {
            prop_assert_eq!(e.kind(), ErrorKind::CorruptRecord);
        }
    }

    #[test]
    fn mutated_records_never_panic(r in record(), at in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut bytes = r.to_json().unwrap();
        let i = at.index(bytes.len());
        bytes[i] = b;
        let _ = Session::from_json(&bytes);
        // A proper prefix of a record (a torn write) never reads as a record.
        bytes.truncate(i);
        prop_assert!(Session::from_json(&bytes).is_err());
    }

    #[test]
    fn accepted_ids_are_single_safe_path_components(s in any::<String>()) {
        match SessionId::parse(&s) {
            Ok(id) => {
                let p = std::path::Path::new(id.as_str());
                prop_assert_eq!(p.components().count(), 1);
                prop_assert!(matches!(
                    p.components().next(),
                    Some(std::path::Component::Normal(_))
                ));
                prop_assert!(!id.as_str().starts_with('.'));
                prop_assert!(id.as_str().len() <= 255);
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidArgument),
        }
    }
}
