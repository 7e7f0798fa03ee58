//! The profile form's pure parts: where a service error lands, the endpoints an environment
//! fills in, the vault's checks before saving, and the agent limit's exact parsing.

use super::*;

#[test]
fn service_field_errors_land_under_their_input_whatever_the_wording() {
    let cases = [
        (service::Field::ProfileName, Field::Name),
        (service::Field::Environment, Field::Environment),
        (service::Field::Endpoint, Field::Endpoint),
        (service::Field::MerchantIdentifier, Field::MerchantIdentifier),
        (service::Field::ProfileCurrency, Field::Currency),
        (service::Field::Operator, Field::Operator),
        (service::Field::CustomerIp, Field::CustomerIp),
        (service::Field::Language, Field::Language),
        (service::Field::RefundLimit, Field::AgentLimit),
        (service::Field::AccessCode, Field::Secret(SecretKind::AccessCode)),
        (service::Field::RequestPhrase, Field::Secret(SecretKind::RequestPhrase)),
        (service::Field::ResponsePhrase, Field::Secret(SecretKind::ResponsePhrase)),
    ];
    for (field, input) in cases {
        // A message that names no field at all: the cursor still goes by the type.
        let error = ServiceError::Invalid { field, message: "Please check this one again".to_owned() };
        assert_eq!(FormError::of(&error).field, Some(input), "{field:?}");
    }
    for kind in SecretKind::ALL {
        assert_eq!(Field::of_service(kind.field()), Some(Field::Secret(kind)));
    }
    let keychain = ServiceError::Profile("merchant identifier: the keychain is locked".to_owned());
    assert_eq!(FormError::of(&keychain).field, None, "only a field error has a field");
    assert_eq!(Field::of_service(service::Field::CardNumber), None);
    assert_eq!(
        readable("no profile named \"X\"; add it in Settings → Profiles"),
        "No profile named \"X\"; add it in Settings > Profiles"
    );
}

#[test]
fn the_agent_limit_is_parsed_exactly_in_the_profile_currency() {
    let kwd = Currency::parse("KWD").unwrap();
    assert_eq!(agent_limit("250.125", kwd), Ok(250_125));
    assert_eq!(agent_limit(" ", kwd), Ok(0), "empty: every refund needs approval");
    assert_eq!(agent_limit("0.000", kwd), Ok(0));
    let error = agent_limit("1.0001", kwd).unwrap_err();
    assert_eq!(error.field, Some(Field::AgentLimit));
    assert!(error.message.starts_with("Agent refund/void limit: amount has 4 decimals"), "{}", error.message);
    assert_eq!(agent_limit("-5", kwd).unwrap_err().field, Some(Field::AgentLimit));
}

#[test]
fn environments_fill_their_published_endpoint_and_the_demo_drops_it() {
    let mut edit = ProfileEdit::new_profile(None);
    assert_eq!(edit.endpoint, ProfileEnvironment::Sandbox.payment_api_url().unwrap());
    edit.set_environment(ProfileEnvironment::Production);
    assert_eq!(edit.endpoint, ProfileEnvironment::Production.payment_api_url().unwrap());
    edit.set_environment(ProfileEnvironment::Demo);
    assert_eq!(edit.endpoint, "", "a demo profile never keeps an APS address");
    edit.endpoint = "http://127.0.0.1:9000/FortAPI/paymentApi".to_owned();
    edit.set_environment(ProfileEnvironment::Demo);
    assert_eq!(edit.endpoint, "http://127.0.0.1:9000/FortAPI/paymentApi", "a simulator address is kept");
}

#[test]
fn a_typed_profile_is_checked_by_the_vault_rules_before_it_is_sent() {
    let mut edit = ProfileEdit::new_profile(Currency::parse("SAR").ok());
    edit.name = " Riyadh ".to_owned();
    edit.merchant_identifier = "Shop42".to_owned();
    edit.algorithm = Algorithm::HmacSha512;
    edit.customer_ip = " 192.0.2.1 ".to_owned();
    let profile = edit.to_profile(None).unwrap();
    assert_eq!((profile.name.as_str(), profile.algorithm), ("Riyadh", Algorithm::HmacSha512));
    assert_eq!(profile.customer_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(ProfileEdit::of(&profile).default_currency, "SAR");

    edit.default_currency = "XX".to_owned();
    assert_eq!(edit.to_profile(None).unwrap_err().field, Some(Field::Currency));
    edit.default_currency = "SAR".to_owned();
    edit.endpoint = "http://payments.example.com/".to_owned();
    let error = edit.to_profile(None).unwrap_err();
    assert_eq!(error.field, Some(Field::Endpoint));
    assert!(error.message.starts_with("Endpoint: must start with https://"), "{}", error.message);
}
