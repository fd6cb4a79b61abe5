//! Registration to a carrier with digest authentication, against SIPp as the registrar: SIPp
//! verifies our MD5/qop=auth response itself, so this checks our digest against a third party.

use std::time::Duration;

use voxgate_tests::{SippOptions, Voxgate, require_peers};

fn register_trunk(registrar: std::net::SocketAddr) -> String {
    format!(
        "[[trunk]]\nname = \"carrier\"\ngateways = [\"{registrar}\"]\nauth = \"register\"\n[trunk.register]\nusername = \"voxgate\"\npassword_env = \"VOXGATE_TEST_PASSWORD\"\ndomain = \"voxgate.test\"\nexpires = 60\n"
    )
}

fn register(password_sent: &str) -> (Voxgate, voxgate_tests::SippOutcome) {
    let mut sipp = SippOptions::uas("uas_registrar_digest")
        .set("password", "correct horse")
        .timeout(Duration::from_secs(20))
        .start()
        .expect("sipp");
    let engine = Voxgate::start_with_env(
        None,
        "",
        &register_trunk(sipp.sip_addr()),
        &[("VOXGATE_TEST_PASSWORD", password_sent)],
    )
    .expect("engine starts");
    let outcome = sipp.wait(Duration::from_secs(20)).expect("sipp ends");
    (engine, outcome)
}

#[test]
fn registers_with_digest_credentials_from_the_environment() {
    require_peers!("sipp");
    let (engine, outcome) = register("correct horse");
    assert!(outcome.all_succeeded(), "sipp: {outcome:?}");
    let registered = voxgate_tests::process::wait_until(Duration::from_secs(5), || {
        engine.log().contains("registered")
    });
    assert!(registered, "log:\n{}", engine.log());
    assert!(
        engine.log().contains("expires=60"),
        "granted expiry is logged"
    );
}

#[test]
fn a_wrong_password_is_refused_and_retried_later() {
    require_peers!("sipp");
    let (engine, _) = register("wrong");
    let failed = voxgate_tests::process::wait_until(Duration::from_secs(5), || {
        engine.log().contains("registration failed")
    });
    assert!(failed, "log:\n{}", engine.log());
    assert!(engine.log().contains("code=403"), "log:\n{}", engine.log());
}

#[test]
fn a_missing_password_variable_stops_the_engine_with_a_clear_message() {
    let trunk = register_trunk("127.0.0.1:5999".parse().unwrap());
    let err = match Voxgate::start(&trunk) {
        Ok(_) => panic!("engine started without its password"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("environment variable VOXGATE_TEST_PASSWORD (password_env) is not set"),
        "{err}"
    );
}
