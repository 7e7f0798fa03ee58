//! The credential test: a signed status check of a reference that does not exist, read for
//! which credential is wrong.

use super::charge::text;
use super::{Service, ServiceError};
use crate::aps::command::Command;

/// Which credential a profile test found wrong, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileTest {
    pub ok: bool,
    pub message: String,
}

impl Service {
    /// Proves a profile's credentials with a signed CHECK_STATUS of a reference that does not
    /// exist, and says which credential is wrong when it fails.
    ///
    /// # Errors
    /// The profile or its secrets are missing.
    pub async fn test_profile(&self, profile: &str) -> Result<ProfileTest, ServiceError> {
        self.allow(crate::service::access::Right::Profiles).await?;
        let ctx = self.ctx(profile).await?;
        let reference = format!("MT-TEST-{}", &self.new_reference().await?[3..]);
        let command = Command::CheckStatus(crate::aps::command::CheckStatus {
            merchant_reference: reference,
            fort_id: None,
            maintenance_reference: None,
            third_party_codes: false,
        });
        let mut params = command
            .to_params(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        let signature =
            crate::aps::sign::sign(&params, ctx.credentials.request_phrase.expose(), ctx.profile.algorithm);
        params.insert("signature".into(), signature.into());
        let reply = match self.inner.gateway.post_json(&ctx.profile.endpoint, &params).await {
            Ok(reply) => reply,
            Err(e) => {
                return Ok(ProfileTest {
                    ok: false,
                    message: format!("APS could not be reached at {}: {e}", ctx.profile.endpoint),
                });
            }
        };
        let response = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
            Ok(serde_json::Value::Object(map)) if reply.http_status == 200 => map,
            _ => {
                return Ok(ProfileTest {
                    ok: false,
                    message: format!(
                        "the endpoint answered HTTP {} without an APS reply: check the endpoint address",
                        reply.http_status
                    ),
                });
            }
        };
        let code = text(&response, "response_code").unwrap_or_default();
        let message = match code.get(2..).unwrap_or_default() {
            "009" => "APS does not know this merchant identifier: check it in Settings",
            "010" => {
                "APS refused the access code: enter it again from Integration Settings, Security Settings"
            }
            "008" => "APS says the signature does not match: check the SHA request phrase and the SHA type",
            _ => "",
        };
        if !message.is_empty() {
            return Ok(ProfileTest { ok: false, message: message.into() });
        }
        if crate::aps::sign::verify(
            &response,
            ctx.credentials.response_phrase.expose(),
            ctx.profile.algorithm,
        )
        .is_err()
        {
            return Ok(ProfileTest {
                ok: false,
                message: "APS accepted the request, but its answer's signature does not match: check the SHA response phrase".into(),
            });
        }
        Ok(ProfileTest {
            ok: true,
            message: format!(
                "Connected: APS accepted the merchant identifier, access code and both phrases ({}).",
                ctx.profile.algorithm.label()
            ),
        })
    }
}
