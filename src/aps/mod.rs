//! The APS protocol, pure: money, cards, field rules, typed commands, signatures and response
//! classification. Nothing here does I/O or depends on another module of this crate, so every
//! rule can be tested exhaustively with plain unit tests.
//!
//! Facts come from `aps/spec.md` (section numbers are cited in the code). Where the spec says
//! UNKNOWN, the code takes the reading that can never move money twice, and says so.

pub mod batch;
pub mod card;
pub mod command;
pub mod feedback;
pub mod field;
pub mod fields;
pub mod money;
pub mod response;
pub mod secret;
pub mod sign;

/// One APS request or response: parameter name to value, in the order they were added or
/// received (nested objects sign in body order, spec 2.5).
pub type Params = serde_json::Map<String, serde_json::Value>;

/// Every APS operation the terminal performs (spec section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operation {
    Purchase,
    Authorization,
    Capture,
    VoidAuthorization,
    Refund,
    CheckStatus,
    CreateToken,
    UpdateToken,
    PaymentLink,
    UploadBatchFile,
    GetBatchResults,
    ProcessBatch,
}

impl Operation {
    pub const ALL: [Operation; 12] = [
        Self::Purchase,
        Self::Authorization,
        Self::Capture,
        Self::VoidAuthorization,
        Self::Refund,
        Self::CheckStatus,
        Self::CreateToken,
        Self::UpdateToken,
        Self::PaymentLink,
        Self::UploadBatchFile,
        Self::GetBatchResults,
        Self::ProcessBatch,
    ];

    /// The APS name of the operation, as sent on the wire.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::Purchase => "PURCHASE",
            Self::Authorization => "AUTHORIZATION",
            Self::Capture => "CAPTURE",
            Self::VoidAuthorization => "VOID_AUTHORIZATION",
            Self::Refund => "REFUND",
            Self::CheckStatus => "CHECK_STATUS",
            Self::CreateToken => "CREATE_TOKEN",
            Self::UpdateToken => "UPDATE_TOKEN",
            Self::PaymentLink => "PAYMENT_LINK",
            Self::UploadBatchFile => "UPLOAD_BATCH_FILE",
            Self::GetBatchResults => "GET_BATCH_RESULTS",
            Self::ProcessBatch => "PROCESS_BATCH",
        }
    }

    /// Which parameter carries the name: `command`, `query_command` or `service_command`.
    pub fn command_field(self) -> &'static str {
        match self {
            Self::Purchase | Self::Authorization | Self::Capture | Self::VoidAuthorization | Self::Refund => {
                "command"
            }
            Self::CheckStatus => "query_command",
            Self::CreateToken
            | Self::UpdateToken
            | Self::PaymentLink
            | Self::UploadBatchFile
            | Self::GetBatchResults
            | Self::ProcessBatch => "service_command",
        }
    }

    /// Looks an operation up by its wire name.
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.wire_name() == name)
    }

    /// True for operations that can move money: these are never re-sent blindly.
    pub fn moves_money(self) -> bool {
        matches!(
            self,
            Self::Purchase | Self::Authorization | Self::Capture | Self::VoidAuthorization | Self::Refund
        )
    }

    /// The full response code of success (spec 5.3).
    pub fn success_code(self) -> &'static str {
        match self {
            Self::Purchase => "14000",
            Self::Authorization => "02000",
            Self::Capture => "04000",
            Self::VoidAuthorization => "08000",
            Self::Refund => "06000",
            Self::CheckStatus => "12000",
            Self::CreateToken => "52062",
            Self::UpdateToken => "58000",
            Self::PaymentLink => "48000",
            Self::UploadBatchFile => "50000",
            Self::GetBatchResults => "70000",
            Self::ProcessBatch => "72147",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire_name())
    }
}
